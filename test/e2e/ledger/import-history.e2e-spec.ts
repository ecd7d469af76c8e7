import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { SigningKeyring, verifyBatch, type SealedBatch } from '@tally/receipts';
import { runCli, runCliMeasured } from '../../support/cli';
import { LedgerCtx } from '../../support/ledger-ctx';
import { listening } from '../../support/sse-client';
import { createTestDatabase, type TestDatabase } from '../../support/test-database';
import { startTestApp, type TestApp } from '../../support/test-app';

/**
 * 100,000 transfers on Postgres. The embedded database (PGlite) runs in the test's own
 * process, one statement at a time in WebAssembly (about 1,100 items/s measured, against
 * 1,400 on Postgres on the same loaded machine), and the CLI's `ledger verify` needs the app
 * stopped there (one user at a time: two restarts, each verify reading every entry): a tenth
 * keeps the test near half a minute instead of several minutes.
 */
const EMBEDDED = process.env.DATABASE_URL === undefined;
const COUNT = EMBEDDED ? 10_000 : 100_000;
const ACCOUNTS = EMBEDDED ? 500 : 2_000;

/** An imported history: a mint to each account, then transfers between them, every item with its own created_at. */
async function writeHistory(path: string, prefix: string): Promise<{ first: string; last: string; supply: bigint }> {
  const out = createWriteStream(path);
  const start = Date.parse('2021-03-01T00:00:00.000Z');
  const at = (i: number) => new Date(start + i * 1000).toISOString();
  const account = (i: number) => ({ account_type: 'user', account_id: `${prefix}-${i}` });
  let supply = 0n;
  for (let i = 0; i < COUNT; i++) {
    const common = { id: randomUUID(), imported: true, created_at: at(i) };
    let item: object;
    if (i < ACCOUNTS) {
      item = { ...common, kind: 'mint', ...account(i), amount: '1000' };
      supply += 1_000_000_000n;
    } else {
      // Each account sends about COUNT / ACCOUNTS transfers of at most 0.999999: never more than it was minted.
      const from = i % ACCOUNTS;
      const to = (from + 1 + ((i * 7919) % (ACCOUNTS - 1))) % ACCOUNTS;
      const amount = `0.${String(((i * 104_729) % 999_999) + 1).padStart(6, '0')}`;
      item = { ...common, kind: 'transfer', from: account(from), to: account(to), amount, memo: `history ${i}` };
    }
    if (!out.write(`${JSON.stringify(item)}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return { first: at(0), last: at(COUNT - 1), supply };
}

describe(`an imported history of ${COUNT} transfers, then ledger verify, then a settlement seal over it`, () => {
  let db: TestDatabase;
  let t: TestApp | undefined;
  let dir: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'tally-history-'));
  });
  afterAll(async () => {
    await t?.close();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const verify = async () => {
    // The embedded database has one user at a time: the app stops while the CLI verifies.
    if (EMBEDDED) await t!.close();
    const res = await runCli(db.env, 'ledger', 'verify');
    if (EMBEDDED) t = await startTestApp({ SETTLEMENT_ENABLED: 'false' }, db);
    return res;
  };

  it('imports every item once, verifies, and one sealed batch covers them all and verifies', async () => {
    const path = join(dir, 'history.jsonl');
    const prefix = `h${randomUUID().slice(0, 6)}`;
    const history = await writeHistory(path, prefix);
    t = await startTestApp({ SETTLEMENT_ENABLED: 'false' }, db);
    const url = `http://127.0.0.1:${await listening(t)}`;

    // One batch in memory at a time: the CLI imports within a 96 MB heap, where the file's items
    // parsed all at once (about 65 MB of heap for 100,000) beside its code (about 40 MB) would not fit.
    const env = { TALLY_URL: url, TALLY_ADMIN_KEY: t.adminKey, NODE_OPTIONS: '--max-old-space-size=96' };
    const imported = await runCliMeasured(env, 'import', path);
    expect(imported.code).toBe(0);
    expect(imported.stderr).toMatch(/^(importing: \d+\/\d+ lines, \d+ items\/s, ETA \d+ s\n)*$/);
    expect(imported.stdout).toContain(`posted: ${COUNT}\nreplayed: 0\nrejected: 0\n`);
    // The figures, for the record (the CLI's own line: items sent, seconds, items/s).
    console.log(`${imported.stdout.split('\n')[0]}; CLI peak resident memory ${imported.peakRssMb.toFixed(0)} MB`);

    const [row] = await t.dataSource.query(
      `SELECT count(*)::int AS n, min(created_at) AS first, max(created_at) AS last FROM transfers`,
    );
    expect(row.n).toBe(COUNT);
    // Each transfer keeps the time the history gave it.
    expect([new Date(row.first).toISOString(), new Date(row.last).toISOString()]).toEqual([
      history.first,
      history.last,
    ]);

    const before = await verify();
    expect(before.stdout).toContain(`${COUNT} transfers`);
    expect(before.stdout).toContain('ledger OK');
    expect(before.code).toBe(0);

    const ctx = new LedgerCtx(t!);
    const sealed = await t!.http().post('/v1/settlement/batches').set(ctx.admin()).expect(201);
    const batch: SealedBatch = sealed.body.batch;
    expect(batch.transfer_count).toBe(COUNT);
    expect(batch.account_count).toBe(ACCOUNTS);
    expect(batch.total_supply).toBe(history.supply.toString());
    expect(verifyBatch(batch, await t!.app.get(SigningKeyring).publicKeys())).toEqual({ valid: true });

    const after = await verify();
    expect(after.stdout).toContain(`1 settlement batches holding ${COUNT} transfers checked`);
    expect(after.stdout).toContain('settlement OK');
    expect(after.code).toBe(0);
  }, 1_200_000);
});
