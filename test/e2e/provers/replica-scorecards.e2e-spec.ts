import { JOB_FAILED } from '@tally/jobs';
import { ProverJobFailed, SCORECARD_UPDATE, ScorecardEmitter } from '@tally/provers';
import { ProversCtx } from '../../support/provers-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

type Prover = { name: string; key: Record<string, string> };

/**
 * A replica of a settled job is scored for what it did, whoever reports last: one outcome
 * for a replica that reported, none for one called off before it reported.
 */
describe('scorecards of replicated jobs: each replica scored for its own report', () => {
  let t: TestApp;
  let ctx: ProversCtx;
  beforeAll(async () => {
    // Decay off, so each outcome's score is exact (55 for a success, 45 for a failure, from 50).
    t = await startTestApp({ SCHEDULER_ENABLED: 'false', SCORE_DECAY_HALF_LIFE_MS: '0' });
    ctx = new ProversCtx(t);
  });
  afterAll(() => t.close());

  async function provers(n: number): Promise<Prover[]> {
    const out: Prover[] = [];
    for (let i = 0; i < n; i++) out.push(await ctx.registeredProver());
    return out;
  }

  const ok = (hash: string) => ({ success: true, final_cost_micros: 1_000_000, result_hash: hash });
  const failed = { success: false, error_message: 'oom' };

  /** The prover's scorecard holds exactly one outcome, from exactly one score event. */
  async function expectOneOutcome(p: Prover, outcome: 'success' | 'failure'): Promise<void> {
    const card = await ctx.waitForScoreVersion(p.name, 1);
    expect(card).toMatchObject(
      outcome === 'success'
        ? { version: '1', successful_jobs: '1', failed_jobs: '0', score_value: 55 }
        : { version: '1', successful_jobs: '0', failed_jobs: '1', score_value: 45 },
    );
    const events: { payload: Record<string, unknown> }[] = await t.dataSource.query(
      `SELECT payload FROM outbox WHERE event_type = '${SCORECARD_UPDATE}' AND partition_key = $1`,
      [p.name],
    );
    expect(events.map((e) => [e.payload.delta_success, e.payload.delta_failure])).toEqual([
      outcome === 'success' ? [1, 0] : [0, 1],
    ]);
  }

  /**
   * The prover's scorecard is untouched. Checked once the job's other replicas hold their
   * outcomes: all of a job's score events are written together.
   */
  async function expectNoOutcome(p: Prover): Promise<void> {
    expect((await ctx.getProver(p.name).expect(200)).body).toMatchObject({
      version: '0',
      successful_jobs: '0',
      failed_jobs: '0',
      score_value: 50,
    });
    const events = await t.dataSource.query(
      `SELECT 1 FROM outbox WHERE event_type = '${SCORECARD_UPDATE}' AND partition_key = $1`,
      [p.name],
    );
    expect(events).toEqual([]);
  }

  it('no majority of 2 ("aa" vs "bb"): both replicas score a failure, in either report order', async () => {
    for (const order of [0, 1]) {
      const [a, b] = await provers(2);
      const id = await ctx.polledJob([a, b]);
      const [first, second] = order === 0 ? [a, b] : [b, a];
      await ctx.report(id, first.key, ok('aa')).expect(201);
      expect((await ctx.report(id, second.key, ok('bb')).expect(201)).body.outcome).toBe('FAILED');
      await expectOneOutcome(a, 'failure');
      await expectOneOutcome(b, 'failure');
    }
  });

  it('no majority of 3 ("aa", "bb", "cc"): every replica scores a failure', async () => {
    const replicas = await provers(3);
    const id = await ctx.polledJob(replicas);
    for (const [i, p] of replicas.entries()) await ctx.report(id, p.key, ok(['aa', 'bb', 'cc'][i])).expect(201);
    expect((await ctx.job(id).expect(200)).body.status).toBe('FAILED');
    for (const p of replicas) await expectOneOutcome(p, 'failure');
  });

  it('a 2-of-3 majority: the two score a success, a dissenter that reported in time a failure, a replica called off before it reported nothing', async () => {
    // The dissenter reports first: the job waits for the majority.
    const [a, b, c] = await provers(3);
    const early = await ctx.polledJob([a, b, c]);
    await ctx.report(early, c.key, ok('bb')).expect(201);
    await ctx.report(early, a.key, ok('aa')).expect(201);
    expect((await ctx.report(early, b.key, ok('aa')).expect(201)).body.outcome).toBe('COMPLETED');
    for (const p of [a, b]) await expectOneOutcome(p, 'success');
    await expectOneOutcome(c, 'failure');

    // The majority decides first: the third replica was called off; its report comes too late (refused).
    const [d, e, f] = await provers(3);
    const late = await ctx.polledJob([d, e, f]);
    await ctx.report(late, d.key, ok('aa')).expect(201);
    expect((await ctx.report(late, e.key, ok('aa')).expect(201)).body.outcome).toBe('COMPLETED');
    await ctx.report(late, f.key, ok('bb')).expect(409);
    for (const p of [d, e]) await expectOneOutcome(p, 'success');
    await expectNoOutcome(f);
  });

  it('mixed, 2 replicas (success "aa" and a failed report): both reporters score a failure; a failure first calls the other off unscored', async () => {
    const [a, b] = await provers(2);
    const succeededFirst = await ctx.polledJob([a, b]);
    await ctx.report(succeededFirst, a.key, ok('aa')).expect(201);
    expect((await ctx.report(succeededFirst, b.key, failed).expect(201)).body.outcome).toBe('FAILED');
    await expectOneOutcome(a, 'failure');
    await expectOneOutcome(b, 'failure');

    // A failure first decides at once (no majority can be reached): the replica still running is called off.
    const [c, d] = await provers(2);
    const failedFirst = await ctx.polledJob([c, d]);
    expect((await ctx.report(failedFirst, c.key, failed).expect(201)).body.outcome).toBe('FAILED');
    await ctx.report(failedFirst, d.key, ok('aa')).expect(409);
    await expectOneOutcome(c, 'failure');
    await expectNoOutcome(d);
  });

  it('a redelivered JobFailed of a replicated job emits nothing more (idempotent by event_id)', async () => {
    const [a, b] = await provers(2);
    const id = await ctx.polledJob([a, b]);
    await ctx.report(id, a.key, ok('aa')).expect(201);
    await ctx.report(id, b.key, ok('bb')).expect(201);
    for (const p of [a, b]) await expectOneOutcome(p, 'failure');
    const [row] = await t.dataSource.query(
      `SELECT event_id::text, payload, created_at FROM outbox WHERE event_type = '${JOB_FAILED}' AND partition_key = $1`,
      [id],
    );
    expect(row.payload.assigned_provers).toEqual([a.name, b.name].sort());
    await t.app.get(ScorecardEmitter).handle(new ProverJobFailed(row.payload, row.event_id, row.created_at));
    for (const p of [a, b]) await expectOneOutcome(p, 'failure');
  });
});
