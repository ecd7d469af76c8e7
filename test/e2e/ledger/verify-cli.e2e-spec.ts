import { runCli } from '../../support/cli';
import { LedgerCtx } from '../../support/ledger-ctx';
import { createTestDatabase, TestDatabase } from '../../support/test-database';
import { startTestApp } from '../../support/test-app';

/** `npm run cli -- ledger verify`, as an operator runs it, on the test's database. */
async function verify(db: TestDatabase): Promise<{ code: number; out: string }> {
  const { code, stdout, stderr } = await runCli(db.env, 'ledger', 'verify');
  return { code, out: stdout + stderr };
}

describe('ledger verify (CLI)', () => {
  let db: TestDatabase;
  beforeAll(async () => (db = await createTestDatabase()));
  afterAll(() => db.drop());

  it('exits 0 on a consistent ledger and 1, naming the account, once a cached balance is altered', async () => {
    let t = await startTestApp({}, db);
    const ctx = new LedgerCtx(t);
    await ctx.mint('user', 'carol', '12.5');
    await ctx.mint('platform', 'main', '3');
    await t.close(); // the embedded database has one user at a time

    const ok = await verify(db);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/ledger OK/);

    t = await startTestApp({}, db);
    await t.dataSource.query(`UPDATE accounts SET posted_debits = posted_debits + 7 WHERE owner_id = 'carol'`);
    await t.close();
    const bad = await verify(db);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/user\/carol: cached posted_debits 7 but its entries sum to 0/);
  }, 240_000); // two app starts and two CLI runs, each opening the (embedded) database
});
