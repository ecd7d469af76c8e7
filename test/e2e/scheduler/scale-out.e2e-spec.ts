import { JOB_ASSIGNED } from '@tally/jobs';
import { pick } from '@tally/scheduler';
import { SchedulerCtx, TestProver } from '../../support/scheduler-ctx';
import { startTestApp, TestApp } from '../../support/test-app';
import { createTestDatabase, TestDatabase } from '../../support/test-database';

const JOBS = 500;
const PROVERS = 20;
const MAX_CONCURRENCY = 30; // 600 slots for 500 jobs: some provers fill up and jobs spill over
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Several schedulers against one database. On a Postgres server (DATABASE_URL) these are two
 * app instances on the same database, each ticking on its own clock and on its own
 * JobSubmitted events, plus manual ticks on both. Embedded PGlite allows one process per
 * data directory, so there it is one instance with concurrent manual ticks racing its own.
 */
describe('scheduler: scale-out', () => {
  const server = Boolean(process.env.DATABASE_URL);
  let db: TestDatabase;
  let apps: TestApp[] = [];
  beforeAll(async () => {
    db = await createTestDatabase();
    const env = {
      SCHEDULER_TICK_MS: '20',
      SCHEDULER_BATCH_SIZE: '16',
      PROVER_LIVENESS_TTL_MS: '600000',
      RATE_LIMIT_MAX: '1000000',
    };
    apps.push(await startTestApp(env, db));
    if (server) apps.push(await startTestApp({ ...env, TALLY_ADMIN_KEY: apps[0].adminKey }, db));
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    apps = [];
    await db.drop();
  });

  it(`assigns ${JOBS} jobs with no job assigned twice, none lost, no prover over max_concurrency`, async () => {
    const t0 = Date.now();
    const ctxs = apps.map((t) => new SchedulerCtx(t));
    const [ctx] = ctxs;
    const provers: TestProver[] = [];
    for (let i = 0; i < PROVERS; i++) provers.push(await ctx.liveProver({ max_concurrency: MAX_CONCURRENCY }));
    const clients = await Promise.all(Array.from({ length: 5 }, () => ctx.fundedClient('1000')));

    // Manual ticks on every instance race the automatic ones while jobs arrive.
    let submitting = true;
    const racers = ctxs.map(async (c) => {
      let ticks = 0;
      while (submitting) {
        await Promise.all([c.tick(), c.tick()]);
        ticks += 2;
        await sleep(5);
      }
      return ticks;
    });
    const ids: string[] = [];
    const per = JOBS / 10;
    await Promise.all(
      Array.from({ length: 10 }, async (_, lane) => {
        const c = ctxs[lane % ctxs.length];
        for (let i = 0; i < per; i++) ids.push(await c.submitted(clients[lane % clients.length].key));
      }),
    );
    submitting = false;
    const manualTicks = await Promise.all(racers);
    const submittedAfter = Date.now() - t0;

    const deadline = Date.now() + 60_000;
    let pending = -1;
    while (Date.now() < deadline) {
      [{ pending }] = await apps[0].dataSource.query(
        `SELECT count(*)::int AS pending FROM jobs WHERE status = 'PENDING'`,
      );
      if (pending === 0) break;
      await sleep(50);
    }
    expect(pending).toBe(0);

    const q = (sql: string) => apps[0].dataSource.query(sql);
    expect(ids).toHaveLength(JOBS);
    expect(await q(`SELECT status, count(*)::int AS n FROM jobs GROUP BY status`)).toEqual([
      { status: 'ASSIGNED', n: JOBS },
    ]);
    // Exactly one assignment row and one JobAssigned event per job.
    expect(
      await q(`SELECT count(*)::int AS n, count(DISTINCT network_job_id)::int AS jobs FROM job_assignments`),
    ).toEqual([{ n: JOBS, jobs: JOBS }]);
    expect(
      await q(
        `SELECT count(*)::int AS n, count(DISTINCT partition_key)::int AS jobs FROM outbox WHERE event_type = '${JOB_ASSIGNED}'`,
      ),
    ).toEqual([{ n: JOBS, jobs: JOBS }]);
    const assigned = new Map<string, string>(
      (await q(`SELECT network_job_id, prover_id FROM job_assignments`)).map(
        (r: { network_job_id: string; prover_id: string }) => [r.network_job_id, r.prover_id],
      ),
    );
    expect([...assigned.keys()].sort()).toEqual([...ids].sort());
    const load = new Map<string, number>();
    for (const p of assigned.values()) load.set(p, (load.get(p) ?? 0) + 1);
    expect(Math.max(...load.values())).toBeLessThanOrEqual(MAX_CONCURRENCY);

    // Deterministic even under the race: every prover starts equal (score 50, load 0), so a
    // job's first choice is the rendezvous winner over all of them; if that prover never
    // filled up, it had room when the job was placed and must have got it.
    const everyone = provers.map((p) => ({ proverId: p.name, weight: 1 }));
    let checked = 0;
    for (const [id, prover] of assigned) {
      const first = pick(id, everyone)!.proverId;
      if ((load.get(first) ?? 0) < MAX_CONCURRENCY) {
        expect(prover).toBe(first);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(JOBS / 4);
    console.log(
      `${apps.length} instance(s), ${manualTicks.reduce((a, b) => a + b, 0)} manual ticks racing; ` +
        `${checked} placements checked against the rendezvous winner; busiest prover ${Math.max(...load.values())}/${MAX_CONCURRENCY}; ` +
        `set up and submitted in ${submittedAfter} ms, all assigned ${Date.now() - t0} ms`,
    );
  }, 240_000);
});
