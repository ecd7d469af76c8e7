import Decimal from 'decimal.js';
import { nextScore, scoreAt, SCORECARD_UPDATE } from '@tally/provers';
import { ProversCtx } from '../../support/provers-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

const HOUR = 3_600_000;
const DAY = 86_400_000;
/** The defaults: α 0.1, half-life 1 day, idle after 1 hour. */
const DEFAULTS = { alpha: '0.1', decayHalfLifeMs: DAY, idleAfterMs: HOUR };

describe('score decay applies to idle provers only (default settings)', () => {
  let t: TestApp;
  let ctx: ProversCtx;
  beforeAll(async () => {
    t = await startTestApp({ SCHEDULER_ENABLED: 'false' });
    ctx = new ProversCtx(t);
  });
  afterAll(() => t.close());

  /** Runs one single-replica job on the prover to its report. */
  async function runJob(p: { name: string; key: Record<string, string> }, success: boolean): Promise<void> {
    const id = await ctx.polledJob([p]);
    await ctx
      .report(id, p.key, success ? { success: true, final_cost_micros: 1000 } : { success: false, error_message: 'x' })
      .expect(201);
  }

  /** Makes the prover's last score `agoMs` old, with this stored score, in the database. */
  async function scoredAgo(proverId: string, score: string, agoMs: number): Promise<void> {
    await t.dataSource.query(
      `UPDATE provers SET score_value = $2, last_scored_at = now() - make_interval(secs => $3::float8 / 1000)
       WHERE prover_id = $1`,
      [proverId, score, agoMs],
    );
  }

  it('3 successes then 1 failure in quick succession follow the EMA law exactly: 55, 59.5, 63.55, 57.195', async () => {
    const p = await ctx.registeredProver();
    const seen: unknown[] = [];
    for (const [i, success] of [true, true, true, false].entries()) {
      await runJob(p, success);
      seen.push((await ctx.waitForScoreVersion(p.name, i + 1)).score_value);
    }
    expect(seen).toEqual([55, 59.5, 63.55, 57.195]);
    const prover = (await ctx.getProver(p.name).expect(200)).body;
    expect(prover).toMatchObject({
      score_value: 57.195,
      score_recorded: 57.195,
      successful_jobs: '3',
      failed_jobs: '1',
    });
  });

  it('an idle prover decays from the moment it became idle (last scored + 1 hour), in GET and the admin list', async () => {
    const p = await ctx.registeredProver();
    await scoredAgo(p.name, '90', HOUR + DAY); // idle for exactly one half-life: about 70
    const before = new Date();
    const body = (await ctx.getProver(p.name).expect(200)).body;
    const listed = (await t.http().get('/v1/admin/provers?limit=500').set(ctx.admin()).expect(200)).body.items;
    const after = new Date();
    const card = { score: String(body.score_recorded), lastScoredAt: new Date(body.last_scored_at) };
    expect(body.score_recorded).toBe(90);
    // Decaying toward 50 from above: the value at the request lies between those at its two ends.
    for (const shown of [
      body.score_value,
      listed.find((x: { prover_id: string }) => x.prover_id === p.name).score_value,
    ]) {
      expect(new Decimal(shown).lte(scoreAt(card, before, DEFAULTS))).toBe(true);
      expect(new Decimal(shown).gte(scoreAt(card, after, DEFAULTS))).toBe(true);
    }
    expect(Math.abs(Number(body.score_value) - 70)).toBeLessThan(0.01);

    // Not yet idle (scored 59 minutes ago): the EMA score itself.
    const active = await ctx.registeredProver();
    await scoredAgo(active.name, '90', HOUR - 60_000);
    expect((await ctx.getProver(active.name).expect(200)).body.score_value).toBe(90);
  });

  it("an idle prover's next outcome folds into its decayed score", async () => {
    const p = await ctx.registeredProver();
    await scoredAgo(p.name, '90', HOUR + DAY);
    const [card] = await t.dataSource.query(`SELECT last_scored_at FROM provers WHERE prover_id = $1`, [p.name]);
    await runJob(p, true);
    const scored = await ctx.waitForScoreVersion(p.name, 1);
    const [event] = await t.dataSource.query(
      `SELECT payload FROM outbox WHERE event_type = '${SCORECARD_UPDATE}' AND partition_key = $1`,
      [p.name],
    );
    const expected = nextScore(
      { score: '90', lastScoredAt: card.last_scored_at },
      { success: 1, failure: 0 },
      new Date(event.payload.emitted_at),
      DEFAULTS,
    );
    // A double on the wire (the JSON mapping), the exact decimal inside.
    expect(event.payload.new_score_value).toBe(Number(expected));
    expect(scored.score_value).toBe(Number(expected)); // just scored: active again, no decay
    expect(Math.abs(Number(expected) - 73)).toBeLessThan(0.01); // 0.9 · 70 + 10
  });
});
