import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BUILD_ENV } from '../../support/global-setup';
import { LedgerCtx } from '../../support/ledger-ctx';
import { createTestDatabase, TestDatabase } from '../../support/test-database';
import { startTestApp } from '../../support/test-app';

const run = promisify(execFile);

/** `npm run cli -- ledger verify`, as an operator runs it, on the test's database. */
async function verify(db: TestDatabase): Promise<{ code: number; out: string }> {
  const cli = join(process.env[BUILD_ENV]!, 'apps/cli/src/main.js');
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, 'ledger', 'verify'], {
      env: { PATH: process.env.PATH ?? '', ...db.env },
    });
    return { code: 0, out: stdout + stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr };
  }
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
