import { randomUUID } from 'node:crypto';
import { LedgerCtx } from '../../support/ledger-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

interface VerifyRun {
  run_id: string;
  status: string;
  started_at: string;
  finished_at: string | null;
  progress: { done: number; total: number };
  problems: { kind: string; detail: string }[];
  problem_count: number;
  error: string | null;
  started_by: string;
}

describe('background ledger verify (admin API)', () => {
  let t: TestApp;
  let ctx: LedgerCtx;
  beforeAll(async () => {
    t = await startTestApp({ SCHEDULER_ENABLED: 'false' });
    ctx = new LedgerCtx(t);
  });
  afterAll(() => t.close());

  const latest = () => t.http().get('/v1/admin/ledger/verify').set(ctx.admin());
  const start = () => t.http().post('/v1/admin/ledger/verify').set(ctx.admin()).send();

  /** Polls the latest run until it is no longer running. */
  async function finished(runId: string): Promise<VerifyRun> {
    for (const until = Date.now() + 30_000; Date.now() < until;) {
      const { body } = await latest().expect(200);
      expect(body.run_id).toBe(runId);
      if (body.status !== 'running') return body;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`run ${runId} still running after 30 s`);
  }

  it('is admin-only, and 404 before any run', async () => {
    const client = await ctx.newKey('client', ctx.name('client'));
    await t.http().post('/v1/admin/ledger/verify').set(client).send().expect(403);
    await t.http().get('/v1/admin/ledger/verify').set(client).expect(403);
    const odd = await t.http().post('/v1/admin/ledger/verify').set(ctx.admin()).send({ full: true });
    expect([odd.status, odd.body.code]).toEqual([400, 'DSE-001']);
    const none = await latest();
    expect([none.status, none.body.code]).toEqual([404, 'DSE-015']);
  });

  it('runs running → passed over every account, then failed with the problem once a balance is altered', async () => {
    const carol = ctx.name('carol');
    await ctx.mint('user', carol, '12.5');
    await ctx.mint('platform', 'main', '3');
    const whoami = await t.http().get('/v1/auth/whoami').set(ctx.admin()).expect(200);
    const [{ accounts }] = await t.dataSource.query(`SELECT count(*)::int AS accounts FROM accounts`);

    const started = await start().expect(202);
    expect(started.body).toMatchObject({ status: 'running', finished_at: null, problems: [], problem_count: 0 });
    const passed = await finished(started.body.run_id);
    expect(passed).toMatchObject({
      status: 'passed',
      progress: { done: accounts, total: accounts },
      problems: [],
      problem_count: 0,
      error: null,
      started_by: whoami.body.subject,
    });
    expect(Date.parse(passed.finished_at!)).toBeGreaterThanOrEqual(Date.parse(passed.started_at));

    await t.dataSource.query(`UPDATE accounts SET posted_debits = posted_debits + 7 WHERE owner_id = $1`, [carol]);
    const second = await start().expect(202);
    expect(second.body.run_id).not.toBe(started.body.run_id);
    const failed = await finished(second.body.run_id);
    expect(failed.status).toBe('failed');
    expect(failed.progress).toEqual({ done: accounts, total: accounts });
    expect(failed.problem_count).toBe(failed.problems.length);
    expect(failed.problems).toContainEqual({
      kind: 'ledger',
      detail: `user/${carol}: cached posted_debits 7 but its entries sum to 0`,
    });
    // Put right again, the ledger passes: the tests after this one start from a sound ledger.
    await t.dataSource.query(`UPDATE accounts SET posted_debits = posted_debits - 7 WHERE owner_id = $1`, [carol]);
    expect((await finished((await start().expect(202)).body.run_id)).status).toBe('passed');
  });

  it('answers a start with the run already going (on any replica); a run nobody holds reads as interrupted', async () => {
    // Another replica's run, alive: a start answers with it and starts nothing.
    const other = randomUUID();
    await t.dataSource.query(
      `INSERT INTO ledger_verify_runs (run_id, status, started_by, progress_done, progress_total)
       VALUES ($1, 'running', 'replica-b', 3, 10)`,
      [other],
    );
    const again = await start().expect(202);
    expect(again.body).toMatchObject({ run_id: other, status: 'running', progress: { done: 3, total: 10 } });
    const read = await latest().expect(200);
    expect(read.body).toMatchObject({ run_id: other, status: 'running', started_by: 'replica-b' });

    // Its process died: nothing touches it any more, and it reads as an error.
    await t.dataSource.query(
      `UPDATE ledger_verify_runs SET heartbeat_at = now() - interval '1 minute' WHERE run_id = $1`,
      [other],
    );
    const dead = await latest().expect(200);
    expect(dead.body).toMatchObject({ run_id: other, status: 'error', error: expect.stringMatching(/^interrupted/) });

    // A start closes it for good and runs a new one.
    const fresh = await start().expect(202);
    expect(fresh.body.run_id).not.toBe(other);
    expect((await finished(fresh.body.run_id)).status).toBe('passed');
    const [closed] = await t.dataSource.query(`SELECT status, error FROM ledger_verify_runs WHERE run_id = $1`, [
      other,
    ]);
    expect(closed).toEqual({ status: 'error', error: expect.stringMatching(/^interrupted/) });
  });
});
