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

  it('mint and accounts create take what the API takes; unknown or repeated flags are usage errors; --help is not', async () => {
    const cli = (...args: string[]) => runCli(db.env, ...args);
    for (const [args, message] of [
      [
        ['mint', '--type', 'issuance', '--id', 'main', '--amount', '1'],
        '--type must be one of user, provider, platform',
      ],
      [['mint', '--type', 'escrow', '--id', 'main', '--amount', '1'], '--type must be one of user, provider, platform'],
      [['mint', '--type', 'user', '--id', 'a', '--amount', '1', '--memo', 'm'.repeat(513)], 'at most 512 characters'],
      [['mint', '--type', 'user', '--type', 'provider', '--id', 'a', '--amount', '1'], '--type is given twice'],
      [['mint', '--type', 'user', '--id', 'a', '--amount', '1', '--bogus', '1'], 'unknown flag --bogus'],
      [['accounts', 'create', '--type', 'platform', '--id', 'main'], '--type must be one of user, provider'],
      [
        ['accounts', 'create', '--type', 'user', '--id', 'a', '--metadata', '[1]'],
        'a JSON object of at most 16384 bytes',
      ],
      [
        ['accounts', 'create', '--type', 'user', '--id', 'a', '--metadata', JSON.stringify({ x: 'y'.repeat(16_400) })],
        'at most 16384 bytes',
      ],
      [['accounts', 'create', '--type', 'user', '--id', 'a', '--metadata', '{nope'], '--metadata must be JSON'],
      [
        ['accounts', 'create', '--type', 'user', '--id', 'a', '--metadata', '{"x":[1e400]}'],
        '--metadata: x.0 is the number 1e400, which reads as Infinity',
      ],
      [['accounts', 'create', '--type', 'user', '--id', 'a', '--metadata', '{"x":1,"x":2}'], 'a key twice'],
      [['verify-receipt', 'r.json', '--keys'], '--keys needs a value'],
    ] as const) {
      const res = await cli(...args);
      expect([res.code, res.stderr]).toEqual([2, expect.stringContaining(message)]);
    }
    const help = await cli('mint', '--help');
    expect([help.code, help.stdout]).toEqual([0, expect.stringContaining('usage: npm run cli -- mint --type')]);
    // None of them wrote anything: the journal still verifies, with no transfer to account a.
    const t = await startTestApp({}, db);
    try {
      const res = await t
        .http()
        .get('/v1/credits/accounts/user/a')
        .set({ Authorization: `Bearer ${t.adminKey}` });
      expect(res.status).toBe(404);
    } finally {
      await t.close();
    }
  }, 240_000); // a dozen CLI runs, each opening the (embedded) database
});
