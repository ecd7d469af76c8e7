import { foldOutcomes, NEUTRAL_SCORE, Outcome } from '@tally/provers';
import { ProversCtx } from '../../support/provers-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

const ALPHA = '0.1';

describe('prover score history', () => {
  let t: TestApp;
  let ctx: ProversCtx;
  beforeAll(async () => {
    // Decay off, so the recorded scores are the EMA steps exactly.
    t = await startTestApp({ SCHEDULER_ENABLED: 'false', SCORE_DECAY_HALF_LIFE_MS: '0', SCORE_ALPHA: ALPHA });
    ctx = new ProversCtx(t);
  });
  afterAll(() => t.close());

  const history = (id: string, key: Record<string, string>, query: Record<string, string> = {}) =>
    t.http().get(`/v1/provers/${id}/score-history`).query(query).set(key);

  it("is each scorecard event's score, oldest first, the last one the prover's; limit keeps the latest", async () => {
    const p = await ctx.registeredProver();
    expect((await history(p.name, p.key).expect(200)).body).toEqual({ prover_id: p.name, items: [] });

    const outcomes: Outcome[] = ['success', 'failure', 'success'];
    for (const [i, outcome] of outcomes.entries()) {
      const id = await ctx.polledJob([p]);
      const report = outcome === 'success' ? { success: true, final_cost_micros: 10 } : { success: false };
      await ctx.report(id, p.key, report).expect(201);
      await ctx.waitForScoreVersion(p.name, i + 1);
    }

    const { body } = await history(p.name, p.key).expect(200);
    expect(body.prover_id).toBe(p.name);
    expect(body.items.map((s: { score: number }) => s.score)).toEqual(
      outcomes.map((_, i) => Number(foldOutcomes(NEUTRAL_SCORE, outcomes.slice(0, i + 1), ALPHA))),
    );
    expect(body.items.map((s: { version: string }) => s.version)).toEqual(['1', '2', '3']);
    expect(
      body.items.map((s: { delta_success: number; delta_failure: number }) => [s.delta_success, s.delta_failure]),
    ).toEqual([
      [1, 0],
      [0, 1],
      [1, 0],
    ]);
    const times = body.items.map((s: { at: string }) => Date.parse(s.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const prover = (await ctx.getProver(p.name).expect(200)).body;
    expect(body.items[2]).toMatchObject({ score: prover.score_recorded, version: prover.version });
    expect(body.items[2].at).toBe(prover.last_scored_at);

    const latest = await history(p.name, ctx.admin(), { limit: '2' }).expect(200);
    expect(latest.body.items).toEqual(body.items.slice(1));
  });

  it('is for admins and the prover itself; bad limits and unknown provers are refused', async () => {
    const p = await ctx.registeredProver();
    const other = await ctx.registeredProver();
    await history(p.name, other.key).expect(403);
    for (const limit of ['0', '1001', '-1', '1.5', 'x', '']) {
      const res = await history(p.name, ctx.admin(), { limit });
      expect([limit, res.status, res.body.code]).toEqual([limit, 400, 'DSE-001']);
    }
    expect((await history(p.name, ctx.admin(), { limit: '1000' }).expect(200)).body.items).toEqual([]);
    const unknown = await history('nobody-here', ctx.admin());
    expect([unknown.status, unknown.body.code]).toEqual([404, 'DSE-004']);
  });
});
