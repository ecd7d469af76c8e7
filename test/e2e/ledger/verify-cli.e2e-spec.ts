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

  it('mint and accounts create take what the API takes; unknown or repeated options are usage errors', async () => {
    const cli = (...args: string[]) => runCli(db.env, ...args);
    for (const [args, message] of [
      [['mint', '--type', 'issuance', '--id', 'main', '--amount', '1'], 'It must be one of user, provider, platform'],
      [['mint', '--type', 'escrow', '--id', 'main', '--amount', '1'], 'It must be one of user, provider, platform'],
      [['mint', '--type', 'user', '--id', 'a', '--amount', '1', '--memo', 'm'.repeat(513)], 'at most 512 characters'],
      [['mint', '--type', 'user', '--id', 'a', '--amount', '0'], 'amount must be'],
      [['mint', '--type', 'user', '--id', 'a', '--amount', '1.0000001'], 'at most 6 fractional digits'],
      [['mint', '--type', 'user', '--type', 'provider', '--id', 'a', '--amount', '1'], 'It is given twice'],
      [['mint', '--type', 'user', '--id', 'a', '--amount', '1', '--bogus', '1'], "unknown option '--bogus'"],
      [['mint', '--type', 'user', '--id', 'a'], "required option '--amount <credits>' not specified"],
      [['mint', '--type', 'user', '--id', 'a', '--amount', '1', '--idempotency-key', ''], '1-255 printable ASCII'],
      [['accounts', 'create', '--type', 'platform', '--id', 'main'], 'It must be one of user, provider'],
      [
        ['accounts', 'create', '--type', 'user', '--id', 'a', '--metadata', '[1]'],
        'a JSON object of at most 16384 bytes',
      ],
      [
        ['accounts', 'create', '--type', 'user', '--id', 'a', '--metadata', JSON.stringify({ x: 'y'.repeat(16_400) })],
        'at most 16384 bytes',
      ],
      [['accounts', 'create', '--type', 'user', '--id', 'a', '--metadata', '{nope'], 'It must be JSON'],
      [
        ['accounts', 'create', '--type', 'user', '--id', 'a', '--metadata', '{"x":[1e400]}'],
        'x.0 is the number 1e400, which reads as Infinity',
      ],
      [['accounts', 'create', '--type', 'user', '--id', 'a', '--metadata', '{"x":1,"x":2}'], 'a key twice'],
      [['verify-receipt', 'r.json', '--keys'], "option '--keys <keys.json>' argument missing"],
    ] as const) {
      const res = await cli(...args);
      expect([args, res.code, res.stderr]).toEqual([args, 2, expect.stringContaining(message)]);
    }
    // None of them wrote anything: no account a.
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
  }, 240_000); // a dozen CLI runs

  it('mint and accounts create print a generated idempotency key; re-run with it, they take effect once', async () => {
    const cli = (...args: string[]) => runCli(db.env, ...args);
    const keyOf = (stdout: string) => /^idempotency key: (\S+) \(to retry: --idempotency-key \1\)$/m.exec(stdout)![1];

    const account = await cli('accounts', 'create', '--type', 'user', '--id', 'frank', '--metadata', '{"team":"a"}');
    expect(account).toMatchObject({ code: 0, stdout: expect.stringContaining('created: user/frank') });
    const accountKey = keyOf(account.stdout);
    const again = await cli(
      'accounts',
      'create',
      '--type',
      'user',
      '--id',
      'frank',
      '--metadata',
      '{"team":"a"}',
      '--idempotency-key',
      accountKey,
    );
    expect(again).toMatchObject({ code: 0, stdout: 'created: user/frank (replayed: this key ran before)\n' });

    const mint = ['mint', '--type', 'user', '--id', 'frank', '--amount', '2.5'];
    const first = await cli(...mint);
    expect(first.code).toBe(0);
    const key = keyOf(first.stdout);
    const transfer = /transfer (\S+)$/m.exec(first.stdout)![1];
    // The same request spelled another way (2.500000 is 2.5) under the same key: the same transfer, not a new one.
    const replay = await cli(
      'mint',
      '--type',
      'user',
      '--id',
      'frank',
      '--amount',
      '2.500000',
      '--idempotency-key',
      key,
    );
    expect(replay).toMatchObject({
      code: 0,
      stdout: `minted 2.5 to user/frank: transfer ${transfer} (replayed: this key minted before, nothing new)\n`,
    });
    // The key with another request is refused (exit 1), and mints nothing.
    const other = await cli('mint', '--type', 'user', '--id', 'frank', '--amount', '3', '--idempotency-key', key);
    expect([other.code, other.stderr]).toEqual([1, expect.stringContaining('DSE-009')]);
    // A key shared with the account's command is the CLI's too: another request, refused.
    const crossed = await cli(...mint, '--idempotency-key', accountKey);
    expect([crossed.code, crossed.stderr]).toEqual([1, expect.stringContaining('DSE-009')]);

    const t = await startTestApp({}, db);
    try {
      const { body } = await t
        .http()
        .get('/v1/credits/accounts/user/frank')
        .set({ Authorization: `Bearer ${t.adminKey}` })
        .expect(200);
      expect(body.balance.posted).toBe('2.5');
      expect(body.metadata).toEqual({ team: 'a' });
      expect(body.recent_transactions.map((r: { transfer_id: string }) => r.transfer_id)).toEqual([transfer]);
    } finally {
      await t.close();
    }
  }, 240_000); // six CLI runs and an app start
});
