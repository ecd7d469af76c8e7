import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobsCtx } from '../../support/jobs-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

const MINUTE_MS = 60_000;

async function until(check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    if (await check()) return;
  }
  throw new Error('timed out');
}

describe('admin overview', () => {
  let t: TestApp;
  let ctx: JobsCtx;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tally-overview-'));
    // Jobs move only by the routes here; batches are sealed on request, delivered to a directory.
    t = await startTestApp({
      SCHEDULER_ENABLED: 'false',
      SETTLEMENT_ENABLED: 'true',
      SETTLEMENT_SEAL_CRON: '0 0 0 1 1 *',
      SETTLEMENT_FILE_DIR: dir,
    });
    ctx = new JobsCtx(t);
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const overview = async () => (await t.http().get('/v1/admin/overview').set(ctx.admin()).expect(200)).body;

  it('is admin-only', async () => {
    const client = await ctx.fundedClient('1');
    await t.http().get('/v1/admin/overview').set(client.key).expect(403);
  });

  it('agrees with the stats and the journal after real activity', async () => {
    const empty = await overview();
    expect(empty).toMatchObject({ last_batch: null, last_verify: null });
    expect(empty.rates).toHaveLength(60);
    // Every minute of the last hour, oldest first, this one last.
    const minutes = empty.rates.map((r: { minute: string }) => Date.parse(r.minute));
    minutes.forEach((m: number, i: number) => i > 0 && expect(m - minutes[i - 1]).toBe(MINUTE_MS));
    expect(Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS - minutes[59]).toBeLessThanOrEqual(MINUTE_MS);

    const client = await ctx.fundedClient('50');
    const prover = await ctx.workingProver();
    const done = (await ctx.submit(client.key, { max_cost_micros: 1_000_000 }).expect(201)).body.network_job_id;
    const cancelled = (await ctx.submit(client.key, { max_cost_micros: 2_000_000 }).expect(201)).body.network_job_id;
    await ctx.submit(client.key, { max_cost_micros: 3_000_000 }).expect(201);
    await ctx.assign(done, [prover.name]).expect(201);
    await ctx.start(done, prover.key).expect(201);
    await ctx.report(done, prover.key, { success: true, final_cost_micros: 400_000 }).expect(201);
    await t.http().post(`/v1/jobs/${cancelled}/cancel`).set(client.key).expect(200);
    await ctx.waitForStatus(done, 'AUDITED'); // its receipts are in: the job moves no more
    const idle = await ctx.workingProver();
    await t.http().post(`/v1/provers/${idle.name}/drain`).set(idle.key).send({}).expect(200);

    const view = await overview();
    const stats = (await t.http().get('/v1/admin/stats').set(ctx.admin()).expect(200)).body;
    expect(view.total_supply_micros).toBe(stats.total_supply_micros);
    expect(view.total_supply_micros).toBe('51000000'); // this test's 50 and the first test's 1
    expect(view.escrow_micros).toBe(stats.escrow_micros);
    expect(view.escrow_micros).toBe('3000000');
    expect(view.platform_revenue_micros).toBe(stats.platform_balance_micros);
    expect(view.jobs_by_status).toEqual(stats.jobs_by_status);
    expect(view.jobs_by_status).toEqual({ PENDING: 1, AUDITED: 1, CANCELLED: 1 });
    expect(view.provers_by_state).toEqual({ online: 1, draining: 1, offline: 0 });

    // Liabilities: every kind's balances, summing to zero; issuance is minus the supply.
    const kinds = view.liabilities_by_kind as Record<string, string>;
    expect(Object.values(kinds).reduce((sum, v) => sum + BigInt(v), 0n)).toBe(0n);
    expect(kinds.issuance).toBe(`-${view.total_supply_micros}`);
    expect(kinds.escrow).toBe(view.escrow_micros);
    expect(kinds.platform).toBe(view.platform_revenue_micros);
    const [{ users }] = await t.dataSource.query(
      `SELECT sum(posted_credits - posted_debits + pending_credits - pending_debits)::text AS users
       FROM accounts WHERE kind = 'user'`,
    );
    expect(kinds.user).toBe(users);

    // Every transfer and every job that ended is counted, in the minute it happened.
    const [{ transfers }] = await t.dataSource.query(`SELECT count(*)::int AS transfers FROM transfers`);
    const sum = (key: 'transfers' | 'lifecycles') =>
      view.rates.reduce((n: number, r: Record<string, number>) => n + r[key], 0);
    expect(sum('transfers')).toBe(transfers);
    expect(sum('transfers')).toBeGreaterThanOrEqual(6); // two mints, three holds, a capture, a release
    expect(sum('lifecycles')).toBe(2);
    const busy = view.rates.filter((r: { transfers: number }) => r.transfers > 0);
    expect(Date.parse(busy[busy.length - 1].minute)).toBeGreaterThanOrEqual(minutes[59]);
  });

  it('shows the last batch with its sinks, and the last ledger verify', async () => {
    const sealed = (await t.http().post('/v1/settlement/batches').set(ctx.admin()).send({}).expect(201)).body.batch;
    await until(async () => (await overview()).last_batch?.sinks[0]?.state === 'delivered');
    const { last_batch: batch } = await overview();
    const got = (await t.http().get(`/v1/settlement/batches/${sealed.batch_no}`).expect(200)).body;
    expect(batch).toMatchObject({ ...got, n: sealed.batch_no, sealed_at: got.created_at });
    expect(batch.sinks).toEqual([
      { sink: 'file', state: 'delivered', attempts: 1, last_error: null, delivered_at: expect.any(String) },
    ]);

    const run = (await t.http().post('/v1/admin/ledger/verify').set(ctx.admin()).send({}).expect(202)).body;
    await until(async () => (await overview()).last_verify.status !== 'running');
    const { last_verify: verify } = await overview();
    expect(verify).toMatchObject({ run_id: run.run_id, status: 'passed', problem_count: 0 });
    expect(verify.progress.done).toBe(verify.progress.total);
  });
});
