import { JOB_COMPLETED } from '@tally/jobs';
import { randomUUID } from 'node:crypto';
import { CommandBus } from '@nestjs/cqrs';
import {
  emaStep,
  foldOutcomes,
  Outcome,
  ProverJobCompleted,
  RedeliverScorecardsCommand,
  SCORECARD_UPDATE,
  ScorecardEmitter,
  ScorecardPersistor,
  ScorecardUpdatePublished,
} from '@tally/provers';
import { ProversCtx } from '../../support/provers-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

describe('EMA scorecards from settled outcomes, with optimistic locking', () => {
  let t: TestApp;
  let ctx: ProversCtx;
  beforeAll(async () => {
    // Decay off, so scores are exact whatever the time between steps (decay has tests of its own).
    t = await startTestApp({ SCHEDULER_ENABLED: 'false', SCORE_DECAY_HALF_LIFE_MS: '0' });
    ctx = new ProversCtx(t);
  });
  afterAll(() => t.close());

  const scoreEvents = (proverId: string) =>
    t.dataSource.query(
      `SELECT event_id::text, partition_key, payload FROM outbox WHERE event_type = '${SCORECARD_UPDATE}' AND partition_key = $1 ORDER BY id`,
      [proverId],
    );

  it('a completed job: successful_jobs 1, version 1, score 55 (α 0.1 from 50), via a seed-shaped event', async () => {
    const p = await ctx.registeredProver();
    const id = await ctx.polledJob([p]);
    await ctx.report(id, p.key, { success: true, final_cost_micros: 1_000_000 }).expect(201);
    const after = await ctx.waitForScoreVersion(p.name, 1);
    expect(after).toMatchObject({ successful_jobs: '1', failed_jobs: '0', version: '1', score_value: 55 });

    const [event] = await scoreEvents(p.name);
    expect(Object.keys(event.payload).sort()).toEqual([
      'delta_failure',
      'delta_success',
      'emitted_at',
      'event_id',
      'expected_version',
      'new_score_value',
      'prover_id',
    ]);
    expect(event.payload).toMatchObject({
      prover_id: p.name,
      delta_success: 1,
      delta_failure: 0,
      new_score_value: 55, // a double, and the int64 version a decimal string (the JSON mapping)
      expected_version: '0',
      event_id: event.event_id,
    });
    expect(event.partition_key).toBe(p.name);
    const history = await t.dataSource.query(
      `SELECT version::int, score_value::text FROM prover_score_history WHERE prover_id = $1`,
      [p.name],
    );
    expect(history).toEqual([{ version: 1, score_value: '55.000000' }]);
  });

  it('a failed job: failed_jobs 1, score 45; then a success folds on top (45 → 50.5)', async () => {
    const p = await ctx.registeredProver();
    const failed = await ctx.polledJob([p]);
    await ctx.report(failed, p.key, { success: false, error_message: 'oom' }).expect(201);
    expect(await ctx.waitForScoreVersion(p.name, 1)).toMatchObject({ failed_jobs: '1', version: '1', score_value: 45 });
    const ok = await ctx.polledJob([p]);
    await ctx.report(ok, p.key, { success: true, final_cost_micros: 10 }).expect(201);
    expect(await ctx.waitForScoreVersion(p.name, 2)).toMatchObject({
      successful_jobs: '1',
      failed_jobs: '1',
      version: '2',
      score_value: Number(foldOutcomes('50', ['failure', 'success'], '0.1')),
    });
  });

  it('replicas: the majority scores a success, the dissenter a failure', async () => {
    const [a, b, c] = [await ctx.registeredProver(), await ctx.registeredProver(), await ctx.registeredProver()];
    const id = await ctx.polledJob([a, b, c]);
    await ctx.report(id, a.key, { success: true, final_cost_micros: 1_000_000, result_hash: 'h1' }).expect(201);
    await ctx.report(id, c.key, { success: true, final_cost_micros: 1_000_000, result_hash: 'h2' }).expect(201);
    await ctx.report(id, b.key, { success: true, final_cost_micros: 1_000_000, result_hash: 'h1' }).expect(201);
    for (const p of [a, b]) {
      expect(await ctx.waitForScoreVersion(p.name, 1)).toMatchObject({ successful_jobs: '1', score_value: 55 });
    }
    expect(await ctx.waitForScoreVersion(c.name, 1)).toMatchObject({ failed_jobs: '1', score_value: 45 });
  });

  it('redelivered events change nothing: the emitter and the persistor are idempotent by event_id', async () => {
    const p = await ctx.registeredProver();
    const id = await ctx.polledJob([p]);
    await ctx.report(id, p.key, { success: true, final_cost_micros: 1_000_000 }).expect(201);
    await ctx.waitForScoreVersion(p.name, 1);
    const [completed] = await t.dataSource.query(
      `SELECT event_id::text, payload, created_at FROM outbox WHERE event_type = '${JOB_COMPLETED}' AND partition_key = $1`,
      [id],
    );
    await t.app
      .get(ScorecardEmitter)
      .handle(new ProverJobCompleted(completed.payload, completed.event_id, completed.created_at));
    expect(await scoreEvents(p.name)).toHaveLength(1);

    const [score] = await scoreEvents(p.name);
    const again = new ScorecardUpdatePublished(score.payload, score.event_id, new Date());
    expect(await t.app.get(ScorecardPersistor).apply(again)).toBe('duplicate');
    expect((await ctx.getProver(p.name).expect(200)).body).toMatchObject({ version: '1', successful_jobs: '1' });
  });

  it('50 concurrent score events for one prover: final version 50, and the score is the sequential EMA fold', async () => {
    const p = await ctx.registeredProver();
    const persistor = t.app.get(ScorecardPersistor);
    const emittedAt = new Date().toISOString();
    const outcomes: Outcome[] = Array.from({ length: 50 }, (_, i) => (i % 3 === 1 ? 'failure' : 'success'));
    const events = outcomes.map((o) => {
      const eventId = randomUUID();
      return new ScorecardUpdatePublished(
        {
          prover_id: p.name,
          delta_success: o === 'success' ? 1 : 0,
          delta_failure: o === 'failure' ? 1 : 0,
          // Every emitter read version 0: all but one must reload and recompute.
          new_score_value: Number(emaStep('50', o, '0.1')),
          expected_version: '0',
          event_id: eventId,
          emitted_at: emittedAt,
        },
        eventId,
        new Date(),
      );
    });
    // In one process a prover's events queue up, so each loses at most one race (none gives up).
    const settled = await Promise.allSettled(events.map((e) => persistor.handle(e)));
    expect(settled.filter((r) => r.status === 'rejected')).toEqual([]);

    const prover = (await ctx.getProver(p.name).expect(200)).body;
    expect(prover).toMatchObject({ version: '50', successful_jobs: '33', failed_jobs: '17' });
    // The EMA is order-dependent: fold the outcomes in the order the versions were taken.
    const history: { version: number; delta_success: number }[] = await t.dataSource.query(
      `SELECT version::int, delta_success FROM prover_score_history WHERE prover_id = $1 ORDER BY version`,
      [p.name],
    );
    expect(history.map((h) => h.version)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const applied = history.map((h): Outcome => (h.delta_success === 1 ? 'success' : 'failure'));
    expect(prover.score_value).toBe(Number(foldOutcomes('50', applied, '0.1')));
    const [{ n }] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM processed_events WHERE handler = 'provers.scorecard-persistor' AND event_id = ANY($1::uuid[])`,
      [events.map((e) => e.eventId)],
    );
    expect(n).toBe(50);
  });

  it('50 concurrent successes: the same score as folding 50 successes, whatever the order', async () => {
    const p = await ctx.registeredProver();
    const persistor = t.app.get(ScorecardPersistor);
    const emittedAt = new Date().toISOString();
    await Promise.allSettled(
      Array.from({ length: 50 }, () => {
        const eventId = randomUUID();
        const payload = {
          prover_id: p.name,
          delta_success: 1,
          delta_failure: 0,
          new_score_value: 55,
          expected_version: '0',
          event_id: eventId,
          emitted_at: emittedAt,
        };
        return persistor.handle(new ScorecardUpdatePublished(payload, eventId, new Date()));
      }),
    );
    await redeliverAll();
    const prover = (await ctx.getProver(p.name).expect(200)).body;
    expect(prover).toMatchObject({ version: '50', successful_jobs: '50', failed_jobs: '0' });
    expect(prover.score_value).toBe(Number(foldOutcomes('50', Array<Outcome>(50).fill('success'), '0.1')));
  });

  it('redelivery: a score event that gave up is applied later from the current state (by the tick, or on demand)', async () => {
    const p = await ctx.registeredProver();
    await t.dataSource.query(`UPDATE provers SET score_value = 45, version = 3, failed_jobs = 3 WHERE prover_id = $1`, [
      p.name,
    ]);
    const queue = async (payload: Record<string, unknown>) =>
      t.dataSource.query(
        `INSERT INTO scorecard_retries (event_id, prover_id, payload, last_error, next_attempt_at)
         VALUES ($1, $2, $3, 'DSE-005', now())`,
        [payload.event_id, payload.prover_id, JSON.stringify(payload)],
      );
    // In the form events had before the JSON mapping (score a decimal string, version a number):
    // such events may still wait in the queue after an upgrade, and are read all the same.
    const stale = (proverId: string) => ({
      prover_id: proverId,
      delta_success: 1,
      delta_failure: 0,
      new_score_value: '55',
      expected_version: 0,
      event_id: randomUUID(),
      emitted_at: new Date().toISOString(),
    });
    // The tick (every second) picks it up on its own.
    await queue(stale(p.name));
    expect(await ctx.waitForScoreVersion(p.name, 4, 5000)).toMatchObject({
      version: '4',
      successful_jobs: '1',
      failed_jobs: '3',
      score_value: Number(emaStep('45', 'success', '0.1')),
    });
    // On demand; an event for a prover that does not exist is dropped, not retried forever.
    await queue(stale(p.name));
    await queue(stale('nobody-registered'));
    await redeliverAll();
    expect((await ctx.getProver(p.name).expect(200)).body).toMatchObject({ version: '5', successful_jobs: '2' });
  });

  /** Applies whatever gave up on version conflicts, as the redelivery tick would (without waiting for it). */
  async function redeliverAll(): Promise<void> {
    const commands = t.app.get(CommandBus);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM scorecard_retries`);
      if (n === 0) return;
      if (Date.now() > deadline) throw new Error(`${n} score events still waiting for redelivery`);
      await t.dataSource.query(`UPDATE scorecard_retries SET next_attempt_at = now()`);
      await commands.execute(new RedeliverScorecardsCommand());
    }
  }
});

describe('scorecards: giving up on version conflicts', () => {
  let t: TestApp;
  let ctx: ProversCtx;
  beforeAll(async () => {
    // No retries allowed: an event that lost a race gives up at once.
    t = await startTestApp({ SCHEDULER_ENABLED: 'false', SCORE_DECAY_HALF_LIFE_MS: '0', SCORECARD_MAX_RETRIES: '0' });
    ctx = new ProversCtx(t);
  });
  afterAll(() => t.close());

  const update = (proverId: string, patch: Record<string, unknown> = {}) => {
    const eventId = randomUUID();
    const payload = {
      prover_id: proverId,
      delta_success: 1,
      delta_failure: 0,
      new_score_value: 55,
      expected_version: '0',
      event_id: eventId,
      emitted_at: new Date().toISOString(),
      ...patch,
    };
    return new ScorecardUpdatePublished(payload as never, eventId, new Date());
  };

  it('a stale event past SCORECARD_MAX_RETRIES: DSE-005, queued for redelivery, not processed, nothing applied', async () => {
    const p = await ctx.registeredProver();
    const persistor = t.app.get(ScorecardPersistor);
    expect(await persistor.apply(update(p.name))).toBe('applied');
    const stale = update(p.name); // computed from version 0, which has moved on
    await expect(persistor.apply(stale)).rejects.toMatchObject({ code: 'DSE-005' });
    const queued = await t.dataSource.query(
      `SELECT event_id::text, prover_id FROM scorecard_retries WHERE event_id = $1`,
      [stale.eventId],
    );
    expect(queued).toEqual([{ event_id: stale.eventId, prover_id: p.name }]);
    const processed = await t.dataSource.query(`SELECT 1 FROM processed_events WHERE event_id = $1`, [stale.eventId]);
    expect(processed).toEqual([]);
    expect((await ctx.getProver(p.name).expect(200)).body).toMatchObject({ version: '1', successful_jobs: '1' });
    await t.dataSource.query(`DELETE FROM scorecard_retries WHERE event_id = $1`, [stale.eventId]);
  });

  it('in a batch, the events that meet their version apply and the stale one alone gives up', async () => {
    const [a, b] = [await ctx.registeredProver(), await ctx.registeredProver()];
    const persistor = t.app.get(ScorecardPersistor);
    const results = await Promise.allSettled([
      persistor.apply(update(a.name)),
      persistor.apply(update(b.name)),
      persistor.apply(update(a.name)), // a second event computed from a's version 0
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    for (const p of [a, b]) expect((await ctx.getProver(p.name).expect(200)).body).toMatchObject({ version: '1' });
    await t.dataSource.query(`DELETE FROM scorecard_retries`);
  });

  it('rejects malformed events and events for unknown provers, writing nothing', async () => {
    const p = await ctx.registeredProver();
    const persistor = t.app.get(ScorecardPersistor);
    for (const bad of [
      { delta_success: -1 },
      { new_score_value: '1e2' },
      { new_score_value: 100.5 },
      { expected_version: '1.5' },
      { expected_version: '01' },
      { emitted_at: 'yesterday' },
    ]) {
      await expect(persistor.apply(update(p.name, bad))).rejects.toMatchObject({ code: 'DSE-001' });
    }
    await expect(persistor.apply(update('nobody-registered'))).rejects.toMatchObject({ code: 'DSE-004' });
    expect((await ctx.getProver(p.name).expect(200)).body).toMatchObject({ version: '0', successful_jobs: '0' });
  });
});
