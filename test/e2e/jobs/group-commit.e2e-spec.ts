import { randomUUID } from 'node:crypto';
import { LedgerVerifier } from '@tally/ledger';
import { foldOutcomes, Outcome, ScorecardPersistor, ScorecardUpdatePublished } from '@tally/provers';
import { microsOf } from '../../support/ledger-ctx';
import { ProversCtx } from '../../support/provers-ctx';
import { startTestApp, TestApp } from '../../support/test-app';
import { createTestDatabase, TestDatabase } from '../../support/test-database';

/**
 * The hot lifecycle commands (submit, poll, report) and the event handlers are written in
 * group-committed batches: whatever arrives while a batch is in flight goes in the next
 * one. These races check that batching never changes an answer: each request is decided
 * as if alone, one refusal never fails its neighbours, and nothing settles twice. On a
 * Postgres server (DATABASE_URL) every race runs across two app instances on one
 * database; embedded PGlite allows one process, so there it is one instance.
 */
describe('group-committed lifecycle commands under races', () => {
  const server = Boolean(process.env.DATABASE_URL);
  let db: TestDatabase;
  const apps: TestApp[] = [];
  let ctxs: ProversCtx[] = [];
  /** The i-th request's instance, round robin. */
  const on = (i: number) => ctxs[i % ctxs.length];

  beforeAll(async () => {
    db = await createTestDatabase();
    const env = { SCHEDULER_ENABLED: 'false', RATE_LIMIT_MAX: '1000000', SCORE_DECAY_HALF_LIFE_MS: '0' };
    apps.push(await startTestApp(env, db));
    if (server) apps.push(await startTestApp({ ...env, TALLY_ADMIN_KEY: apps[0].adminKey }, db));
    ctxs = apps.map((t) => new ProversCtx(t));
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await db.drop();
  });

  const verify = async () => expect((await apps[0].app.get(LedgerVerifier).verify()).problems).toEqual([]);

  it('90 submits racing for credits that cover 30: exactly 30 are held, 60 get DSE-008, no job without its hold', async () => {
    const ctx = ctxs[0];
    const client = await ctx.fundedClient('30');
    const answers = await Promise.all(
      Array.from({ length: 90 }, (_, i) => on(i).submit(client.key, { max_cost_micros: 1_000_000 })),
    );
    const held = answers.filter((r) => r.status === 201);
    expect(held).toHaveLength(30);
    expect(answers.filter((r) => r.status === 402).every((r) => r.body.code === 'DSE-008')).toBe(true);
    expect(answers.filter((r) => r.status === 402)).toHaveLength(60);
    expect(await ctx.balance('user', client.name)).toMatchObject({ posted: '30', pending: '30', available: '0' });
    const [{ jobs, holds }] = await apps[0].dataSource.query(
      `SELECT count(*)::int AS jobs, count(h.id)::int AS holds FROM jobs j
       LEFT JOIN holds h ON h.id = j.hold_id AND h.status = 'pending' WHERE j.client_id = $1`,
      [client.name],
    );
    expect({ jobs, holds }).toEqual({ jobs: 30, holds: 30 });
    expect(new Set(held.map((r) => r.body.network_job_id)).size).toBe(30);
    await verify();
  });

  it('one client_job_id sent 12 times at once: one job and one hold; a different body with it is DSE-009', async () => {
    const ctx = ctxs[0];
    const client = await ctx.fundedClient('10');
    const body = { client_job_id: `cj-${randomUUID()}`, max_cost_micros: 2_000_000 };
    const answers = await Promise.all([
      ...Array.from({ length: 12 }, (_, i) => on(i).submit(client.key, body)),
      on(1).submit(client.key, { ...body, max_cost_micros: 3_000_000 }),
    ]);
    const same = answers.slice(0, 12);
    expect(same.every((r) => r.status === 201)).toBe(true);
    expect(new Set(same.map((r) => r.body.network_job_id)).size).toBe(1);
    expect(same.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(11);
    expect(answers[12].status).toBe(409);
    expect(answers[12].body.code).toBe('DSE-009');
    expect(await ctx.balance('user', client.name)).toMatchObject({ pending: '2', available: '8' });
    await verify();
  });

  it('20 provers report 20 jobs, each report sent three times at once plus a conflicting one: each job settles once', async () => {
    const ctx = ctxs[0];
    const client = await ctx.fundedClient('100');
    const provers = await Promise.all(Array.from({ length: 20 }, () => ctx.registeredProver()));
    const ids: string[] = [];
    for (const p of provers) ids.push(await ctx.running(client.key, [p], { max_cost_micros: 5_000_000 }));
    const platformBefore = microsOf((await ctx.balance('platform', 'main')).posted);

    const ok = { success: true, final_cost_micros: 1_000_000 };
    const answers = await Promise.all(
      provers.flatMap((p, n) => [
        ...[0, 1, 2].map((k) => on(n + k).report(ids[n], p.key, ok)),
        on(n + 3).report(ids[n], p.key, { success: true, final_cost_micros: 2_000_000 }),
      ]),
    );
    for (let n = 0; n < provers.length; n++) {
      const mine = answers.slice(4 * n, 4 * n + 4);
      // The first of them to be decided wins; the same report again answers the same, another one 409.
      const settled = mine.filter((r) => r.status === 201);
      const refused = mine.filter((r) => r.status === 409);
      expect(settled.length + refused.length).toBe(4);
      expect(refused.every((r) => r.body.code === 'DSE-010')).toBe(true);
      expect(new Set(settled.map((r) => JSON.stringify(r.body))).size).toBe(1);
      expect(settled[0].body).toMatchObject({ outcome: 'COMPLETED', network_job_id: ids[n] });
    }
    const costs = provers.map((_, n) =>
      microsOf(
        answers.slice(4 * n, 4 * n + 4).find((r) => r.status === 201)!.body.final_cost_micros === '2000000' ? '2' : '1',
      ),
    );
    const transfers = await apps[0].dataSource.query(
      `SELECT job_id, kind, count(*)::int AS n FROM transfers WHERE job_id = ANY($1) GROUP BY job_id, kind`,
      [ids],
    );
    expect(transfers.filter((t: { kind: string }) => t.kind === 'capture')).toHaveLength(20);
    expect(transfers.every((t: { n: number }) => t.n === 1)).toBe(true);
    // The platform keeps 10% of each captured cost (it pays the rest out as the reward).
    const fees = costs.reduce((sum, c) => sum + c / 10n, 0n);
    expect(microsOf((await ctx.balance('platform', 'main')).posted) - platformBefore).toBe(fees);
    const captured = costs.reduce((sum, c) => sum + c, 0n);
    expect(microsOf((await ctx.balance('user', client.name)).posted)).toBe(100_000_000n - captured);
    await verify();
  });

  it('a replicated job whose three reports arrive at once completes once, with its majority', async () => {
    const ctx = ctxs[0];
    const client = await ctx.fundedClient('10');
    const [a, b, c] = await Promise.all([ctx.registeredProver(), ctx.registeredProver(), ctx.registeredProver()]);
    const id = await ctx.running(client.key, [a, b, c], { max_cost_micros: 3_000_000, replicas: 3 });
    const answers = await Promise.all([
      on(0).report(id, a.key, { success: true, final_cost_micros: 900_000, result_hash: 'h1' }),
      on(1).report(id, b.key, { success: true, final_cost_micros: 900_000, result_hash: 'h1' }),
      on(2).report(id, c.key, { success: true, final_cost_micros: 900_000, result_hash: 'h2' }),
    ]);
    // The two that agree always count; the dissenter is refused (409) only if the job completed before it.
    expect(answers.slice(0, 2).map((r) => r.status)).toEqual([201, 201]);
    expect([201, 409]).toContain(answers[2].status);
    // Exactly one report decided the job (the earlier ones waited for replicas).
    expect(answers.filter((r) => r.body.outcome === 'COMPLETED')).toHaveLength(1);
    const job = (await ctx.job(id).expect(200)).body;
    expect(['COMPLETED', 'AUDITED']).toContain(job.status);
    const rewards = await apps[0].dataSource.query(
      `SELECT prover_id FROM transfers WHERE job_id = $1 AND kind = 'reward' ORDER BY prover_id`,
      [id],
    );
    expect(rewards.map((r: { prover_id: string }) => r.prover_id)).toEqual([a.name, b.name].sort());
    await verify();
  });

  it('8 provers × 4 polls racing for 24 assigned jobs: every replica starts exactly once', async () => {
    const ctx = ctxs[0];
    const client = await ctx.fundedClient('100');
    const provers = await Promise.all(Array.from({ length: 8 }, () => ctx.registeredProver({ max_concurrency: 8 })));
    const ids: string[] = [];
    for (let i = 0; i < 24; i++) {
      const id = (await ctx.submit(client.key, { max_cost_micros: 1_000_000 }).expect(201)).body.network_job_id;
      await ctx.assign(id, [provers[i % 8].name]).expect(201);
      ids.push(id);
    }
    const polls = await Promise.all(provers.flatMap((p, n) => [0, 1, 2, 3].map((k) => on(n + k).poll(p.name, p.key))));
    const got = polls.filter((r) => r.status === 200).map((r) => r.body.network_job_id as string);
    expect(polls.every((r) => r.status === 200 || r.status === 204)).toBe(true);
    expect(got).toHaveLength(24);
    expect(new Set(got).size).toBe(24);
    const [{ running }] = await apps[0].dataSource.query(
      `SELECT count(*)::int AS running FROM jobs WHERE network_job_id = ANY($1) AND status = 'RUNNING'`,
      [ids],
    );
    expect(running).toBe(24);
    // Each prover got its own jobs, never another's.
    polls.forEach((r, i) => {
      if (r.status === 200) expect(ids.indexOf(r.body.network_job_id) % 8).toBe(Math.floor(i / 4));
    });
  });

  it('a long poll on one instance wakes for an assignment made on the other', async () => {
    const ctx = ctxs[0];
    const client = await ctx.fundedClient('10');
    const p = await ctx.registeredProver();
    const id = (await ctx.submit(client.key, { max_cost_micros: 1_000_000 }).expect(201)).body.network_job_id;
    const waiting = on(1).poll(p.name, p.key, { max_wait_seconds: 10 });
    await new Promise((r) => setTimeout(r, 300));
    const assignedAt = Date.now();
    await on(0).assign(id, [p.name]).expect(201);
    const res = await waiting;
    expect(res.status).toBe(200);
    expect(res.body.network_job_id).toBe(id);
    // The other instance's relay never sees this JobAssigned: its recheck (every 100 ms) finds it.
    expect(Date.now() - assignedAt).toBeLessThan(3_000);
  });

  it('60 score events for one prover, applied on every instance at once: version 60, the EMA fold of the order taken', async () => {
    const p = await ctxs[0].registeredProver();
    const outcomes: Outcome[] = Array.from({ length: 60 }, (_, i) => (i % 4 === 1 ? 'failure' : 'success'));
    const emittedAt = new Date().toISOString();
    const results = await Promise.allSettled(
      outcomes.map((o, i) => {
        const eventId = randomUUID();
        const event = new ScorecardUpdatePublished(
          {
            prover_id: p.name,
            delta_success: o === 'success' ? 1 : 0,
            delta_failure: o === 'failure' ? 1 : 0,
            new_score_value: o === 'success' ? 55 : 45,
            expected_version: '0',
            event_id: eventId,
            emitted_at: emittedAt,
          },
          eventId,
          new Date(),
        );
        return apps[i % apps.length].app.get(ScorecardPersistor).apply(event);
      }),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const prover = (await ctxs[0].getProver(p.name).expect(200)).body;
    expect(prover).toMatchObject({ version: '60', successful_jobs: '45', failed_jobs: '15' });
    const history: { version: number; delta_success: number }[] = await apps[0].dataSource.query(
      `SELECT version::int, delta_success FROM prover_score_history WHERE prover_id = $1 ORDER BY version`,
      [p.name],
    );
    expect(history.map((h) => h.version)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    const applied = history.map((h): Outcome => (h.delta_success === 1 ? 'success' : 'failure'));
    expect(prover.score_value).toBe(Number(foldOutcomes('50', applied, '0.1')));
  });
});
