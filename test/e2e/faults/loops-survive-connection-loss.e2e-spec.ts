import { JOB_SUBMITTED } from '@tally/jobs';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OUTBOX_LEASE_SECONDS } from '@tally/database';
import { StatementFaults } from '../../support/statement-faults';
import { SchedulerCtx } from '../../support/scheduler-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

/**
 * Every background loop lives through its database connection dying under it: the
 * connection is cut while the loop's statement is in flight (its socket destroyed, as
 * when Postgres restarts), and the loop backs off, runs again and does its work. The app
 * runs in this test process, so an `error` event nobody listens to, or an unhandled
 * rejection, would fail the run.
 */
const cutter = new StatementFaults().install();
afterAll(() => cutter.uninstall());

describe('background loops survive a connection lost mid-work', () => {
  const sinkDir = mkdtempSync(join(tmpdir(), 'tally-sink-'));
  let t: TestApp;
  let ctx: SchedulerCtx;

  beforeAll(async () => {
    t = await startTestApp({
      SCHEDULER_TICK_MS: '100',
      SCHEDULER_SWEEP_MS: '200',
      PROVER_LIVENESS_TTL_MS: '2000',
      PROVER_POLL_RECHECK_MS: '100',
      SETTLEMENT_SEAL_CRON: '* * * * * *',
      SETTLEMENT_FILE_DIR: sinkDir,
      SETTLEMENT_RETRY_BASE_MS: '200',
    });
    ctx = new SchedulerCtx(t);
  });
  afterAll(async () => {
    await t.close();
    rmSync(sinkDir, { recursive: true, force: true });
  });

  const until = async (what: string, check: () => Promise<boolean>, ms = 10_000) => {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const one = async <T>(sql: string, params: unknown[] = []): Promise<T> => (await t.dataSource.query(sql, params))[0];

  it('the outbox relay poll', async () => {
    await cutter.cutNext(/FOR UPDATE SKIP LOCKED\) due/);
    // A row nobody leased: only a poll publishes it (a type without handlers is still relayed).
    const eventId = randomUUID();
    await t.dataSource.query(
      `INSERT INTO outbox (event_id, event_type, partition_key, payload) VALUES ($1, 'TestPing', 'loops', '{}')`,
      [eventId],
    );
    // The cut poll may still have run on the server after this insert, leasing the row to
    // nobody: then the next poll after the lease publishes it.
    await until(
      'the row published',
      async () =>
        Boolean(
          (
            await one<{ published: boolean }>(
              `SELECT published_at IS NOT NULL AS published FROM outbox WHERE event_id = $1`,
              [eventId],
            )
          ).published,
        ),
      (OUTBOX_LEASE_SECONDS + 5) * 1000,
    );
  });

  it("the hand-off of this process's committed events (marking them published)", async () => {
    const client = await ctx.fundedClient('10');
    const cut = cutter.cutNext(/SET published_at = now\(\), next_attempt_at = NULL/);
    const id = await ctx.submitted(client.key);
    await cut;
    // The mark was lost with its connection: the row's lease runs out and a poll publishes it again.
    await until(
      'JobSubmitted published',
      async () =>
        (
          await one<{ published: boolean }>(
            `SELECT bool_and(published_at IS NOT NULL) AS published FROM outbox WHERE partition_key = $1 AND event_type = '${JOB_SUBMITTED}'`,
            [id],
          )
        ).published,
      (OUTBOX_LEASE_SECONDS + 5) * 1000,
    );
  });

  it('the assignment tick', async () => {
    const prover = await ctx.liveProver();
    const client = await ctx.fundedClient('10');
    const cut = cutter.cutNext(/pg_advisory_xact_lock/);
    const id = await ctx.submitted(client.key);
    await cut;
    await until('the job assigned', async () => (await ctx.jobRow(id)).status !== 'PENDING');
    expect(await ctx.jobRow(id)).toMatchObject({ status: 'ASSIGNED', provers: [prover.name] });
    await ctx.cancelUnsettled();
  });

  it('the timeout sweep', async () => {
    const prover = await ctx.liveProver();
    await cutter.cutNext(/UPDATE provers SET state = 'offline'/);
    await ctx.silence(prover);
    await until('the silent prover marked offline', async () =>
      Boolean(
        (
          await one<{ offline: boolean }>(`SELECT state = 'offline' AS offline FROM provers WHERE prover_id = $1`, [
            prover.name,
          ])
        ).offline,
      ),
    );
  });

  it('the settlement seal and the sink delivery', async () => {
    const seal = cutter.cutNext(/INSERT INTO settlement_batches/);
    const delivery = cutter.cutNext(/UPDATE settlement_deliveries d\s+SET lease_token/);
    await ctx.mint('user', ctx.name('sealed'), '1');
    await seal;
    await until(
      'a batch sealed',
      async () => (await one<{ n: number }>(`SELECT count(*)::int AS n FROM settlement_batches`)).n > 0,
    );
    await delivery;
    // The cut claim may have taken the batch's lease for nobody: the loop claims again meanwhile, and delivers once it runs out.
    await cutter.nextSent(/UPDATE settlement_deliveries d\s+SET lease_token/);
    await ctx.mint('user', ctx.name('sealed'), '1');
    await until('a later batch delivered to the file sink', async () => readdirSync(sinkDir).length > 0, 90_000);
  }, 120_000);

  it('the hold expiry sweep', async () => {
    const owner = ctx.name('holder');
    await ctx.mint('user', owner, '5');
    await cutter.cutNext(/SELECT id FROM holds WHERE status = 'pending' AND expires_at IS NOT NULL/);
    const hold = await t
      .http()
      .post('/v1/credits/holds')
      .set(ctx.admin())
      .set('Idempotency-Key', randomUUID())
      .send({ account_type: 'user', account_id: owner, amount: '1', expires_in_seconds: 1 })
      .expect(201);
    const holdId = hold.body.hold_id ?? hold.body.transfer_id;
    await until('the hold expired', async () => {
      const res = await t.http().get(`/v1/credits/holds/${holdId}`).set(ctx.admin()).expect(200);
      return res.body.status === 'expired';
    });
  });

  it('the scorecard redelivery tick', async () => {
    const prover = await ctx.liveProver();
    const before = await one<{ version: string }>(`SELECT version::text FROM provers WHERE prover_id = $1`, [
      prover.name,
    ]);
    const eventId = randomUUID();
    const event = {
      prover_id: prover.name,
      delta_success: 1,
      delta_failure: 0,
      new_score_value: 55,
      expected_version: before.version,
      event_id: eventId,
      emitted_at: new Date().toISOString(),
    };
    const cut = cutter.cutNext(/UPDATE scorecard_retries SET next_attempt_at/);
    await t.dataSource.query(
      `INSERT INTO scorecard_retries (event_id, prover_id, payload, attempts, last_error, next_attempt_at)
       VALUES ($1, $2, $3, 1, 'queued by the test', now())`,
      [eventId, prover.name, JSON.stringify(event)],
    );
    await cut;
    await until('the queued score applied', async () =>
      Boolean(
        (await one<{ n: number }>(`SELECT count(*)::int AS n FROM scorecard_retries WHERE event_id = $1`, [eventId]))
          .n === 0,
      ),
    );
    const after = await one<{ version: string }>(`SELECT version::text FROM provers WHERE prover_id = $1`, [
      prover.name,
    ]);
    expect(Number(after.version)).toBe(Number(before.version) + 1);
  });

  it('the long-poll recheck', async () => {
    const prover = await ctx.liveProver();
    const recheck = /WHERE EXISTS \(SELECT 1 FROM job_assignments a JOIN jobs j/;
    const cut = cutter.cutNext(recheck);
    const poll = t.http().post(`/v1/provers/${prover.name}/poll`).set(prover.key).send({ max_wait_seconds: 5 });
    const polled = poll.then((res) => res);
    await cut;
    // The recheck runs again on its own while the poll waits.
    await cutter.nextSent(recheck);
    expect((await polled).status).toBe(204);
  });

  it('left the process serving: every cut was made, and the API answers', async () => {
    expect(cutter.cuts.length).toBeGreaterThanOrEqual(8);
    await t.http().get('/ready').expect(200);
  });
});

/**
 * A request whose database connection is lost mid-statement is answered 503 DSE-014 with
 * Retry-After (the outage's answer, never a 500), and a replay of its idempotency key
 * settles it exactly once, whether or not the lost statement had taken effect.
 */
describe('requests whose connection is lost mid-statement', () => {
  let t: TestApp;
  let ctx: SchedulerCtx;
  beforeAll(async () => {
    t = await startTestApp({ SCHEDULER_ENABLED: 'false', SETTLEMENT_ENABLED: 'false' });
    ctx = new SchedulerCtx(t);
  });
  afterAll(() => t.close());

  const expectUnavailable = (res: {
    status: number;
    headers: Record<string, string>;
    body: Record<string, unknown>;
  }) => {
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.body).toMatchObject({ code: 'DSE-014', title: 'Service unavailable', status: 503 });
  };

  it('a read answers 503 DSE-014 with Retry-After, and the next one answers', async () => {
    const owner = ctx.name('reader');
    await ctx.mint('user', owner, '3');
    const cut = cutter.cutNext(/FROM accounts/);
    const res = await t.http().get(`/v1/credits/accounts/user/${owner}`).set(ctx.admin());
    await cut;
    expectUnavailable(res);
    expect(await ctx.balance('user', owner)).toMatchObject({ posted: '3' });
  });

  it('a job submit answers 503, and its replay makes exactly one job and one hold', async () => {
    const client = await ctx.fundedClient('10');
    const key = `submit-${ctx.name()}`;
    const submit = () =>
      t
        .http()
        .post('/v1/jobs/submit')
        .set(client.key)
        .set('Idempotency-Key', key)
        .send({ payload: { task: 'prove' }, max_cost_micros: 2_000_000 });
    const cut = cutter.cutNext(/INSERT INTO jobs/);
    const first = await submit();
    await cut;
    expectUnavailable(first);
    const replay = await submit();
    expect([200, 201]).toContain(replay.status);
    const again = await submit();
    expect(again.body.network_job_id).toBe(replay.body.network_job_id);
    const [{ jobs }] = await t.dataSource.query(`SELECT count(*)::int AS jobs FROM jobs WHERE client_id = $1`, [
      client.name,
    ]);
    expect(jobs).toBe(1);
    expect(await ctx.balance('user', client.name)).toMatchObject({ posted: '10', pending: '2', available: '8' });
  });
});
