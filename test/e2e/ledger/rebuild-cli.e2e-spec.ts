import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { UnitOfWork } from '@tally/database';
import { ESCROW, ISSUANCE, LedgerWriter, PLATFORM, type PostingRequest, simpleLegs, userAccount } from '@tally/ledger';
import { runCli, runCliMeasured } from '../../support/cli';
import { ReceiptsCtx } from '../../support/receipts-ctx';
import { startTestApp, TestApp } from '../../support/test-app';
import { createServerDatabase, createTestDatabase, TestDatabase } from '../../support/test-database';

/**
 * 100,000 transfers in the suite's Postgres run; the embedded run (whose own database is the source
 * of the small case) repeats the same case on a tenth, not to spend minutes seeding the same server twice.
 */
const LARGE = process.env.DATABASE_URL ? 100_000 : 10_000;

type ServerDatabase = TestDatabase & { url: string };

/** `ledger diff`'s name for a database: its URL, or "embedded" for the embedded one the CLI's environment names. */
const diffName = (db: TestDatabase) => db.env.DATABASE_URL ?? 'embedded';

async function onTarget<T>(target: ServerDatabase, work: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: target.url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Alters what a rebuild wrote, as damage or an attack would: one account's balance and one entry's amount. */
async function tamper(target: ServerDatabase, owner: string): Promise<string> {
  return onTarget(target, async (c) => {
    await c.query(`UPDATE accounts SET posted_credits = posted_credits + 1 WHERE owner_id = $1`, [owner]);
    // The journal refuses updates; an attacker with the owner's rights lifts that first.
    await c.query(`ALTER TABLE entries DISABLE TRIGGER entries_append_only`);
    const [entry] = (await c.query(`UPDATE entries SET amount = amount + 1 WHERE id = 1 RETURNING id::text`)).rows;
    await c.query(`ALTER TABLE entries ENABLE TRIGGER entries_append_only`);
    return entry.id;
  });
}

describe('ledger rebuild and ledger diff (CLI)', () => {
  jest.setTimeout(300_000);

  it('rebuilds jobs, receipts, holds and batches into an empty Postgres database that verifies and diffs equal; refuses a non-empty one', async () => {
    // The source is the database the suite runs on: embedded PGlite, or Postgres.
    const source = await createTestDatabase();
    const target = await createServerDatabase();
    try {
      const t = await startTestApp({ SCHEDULER_ENABLED: 'false', SETTLEMENT_ENABLED: 'false' }, source);
      const ctx = new ReceiptsCtx(t);
      let client: string;
      try {
        const funded = await ctx.fundedClient('10');
        client = funded.name;
        const prover = await ctx.registeredProver();
        const id = await ctx.running(funded.key, [prover], { max_cost_micros: 2_000_000 });
        await ctx.report(id, prover.key, { success: true, final_cost_micros: 1_500_000 }).expect(201);
        await ctx.settledChain(id, 'AUDITED');
        // A second job still holds its credits: a pending hold and pending counters.
        await ctx.submit(funded.key, { max_cost_micros: 700_000 }).expect(201);
        await t.http().post('/v1/settlement/batches').set(ctx.admin()).expect(201);
      } finally {
        await t.close(); // the embedded database has one user at a time
      }
      const env = { ...source.env, RECEIPT_SIGNING_KEY_HEX: t.env.RECEIPT_SIGNING_KEY_HEX };
      const targetEnv = { DATABASE_URL: target.url, RECEIPT_SIGNING_KEY_HEX: t.env.RECEIPT_SIGNING_KEY_HEX };

      const rebuilt = await runCli(env, 'ledger', 'rebuild', '--into', target.url);
      expect([rebuilt.code, rebuilt.stderr]).toEqual([0, '']);
      for (const line of [
        'jobs: 2 rows',
        'job_assignments: 1 rows',
        'receipts: 3 rows',
        'settlement_batches: 1 rows',
      ]) {
        expect(rebuilt.stdout).toContain(`\n${line}\n`);
      }
      expect(rebuilt.stdout).toMatch(/\nholds: 2 rows\n/);

      const verified = await runCli(targetEnv, 'ledger', 'verify');
      expect([verified.code, verified.stderr]).toEqual([0, '']);
      expect(verified.stdout).toMatch(/ledger OK/);
      expect(verified.stdout).toMatch(/1 settlement batches holding \d+ transfers checked/);

      const same = await runCli(env, 'ledger', 'diff', diffName(source), target.url);
      expect([same.code, same.stdout, same.stderr]).toEqual([
        0,
        'no differences: every compared table holds the same rows in a and b\n',
        '',
      ]);

      const again = await runCli(env, 'ledger', 'rebuild', '--into', target.url);
      expect([again.code, again.stdout]).toEqual([1, '']);
      expect(again.stderr).toMatch(
        /^the target database \(host [^)]+\) is not empty: it has \d+ table\(s\); rebuild writes only into a new, empty database\n$/,
      );

      const entry = await tamper(target, client);
      const apart = await runCli(env, 'ledger', 'diff', diffName(source), target.url);
      expect(apart.code).toBe(1);
      const lines = apart.stdout.trim().split('\n');
      expect(lines).toHaveLength(2);
      const balance = lines.find((l) => l.startsWith('accounts '));
      const [, before, after] = /^accounts user\/\S+: posted_credits (\d+) in a, (\d+) in b$/.exec(balance ?? '') ?? [];
      expect([balance?.split(':')[0], BigInt(after) - BigInt(before)]).toEqual([`accounts user/${client}`, 1n]);
      const amount = lines.find((l) => l.startsWith('entries '));
      const [, was, now] = /^entries id=(\d+): amount (\d+) in a, (\d+) in b$/.exec(amount ?? '')?.slice(1) ?? [];
      expect([amount?.split(':')[0], BigInt(now) - BigInt(was)]).toEqual([`entries id=${entry}`, 1n]);
      expect(apart.stderr).toBe('2 difference(s) between a and b\n');
    } finally {
      await source.drop();
      await target.drop();
    }
  });

  it(`rebuilds ${LARGE} transfers with a bounded heap: verify passes, every account equals the source, diff finds nothing`, async () => {
    // Always a Postgres source: the transfers are seeded through the ledger's batch posting path.
    const { source, key } = await seededSource(LARGE);
    const target = await createServerDatabase();
    // The floor: the same commands over a journal of SMALL transfers (the process, its modules,
    // the driver). Memory that grows with the journal shows as the difference.
    const small = await seededSource(SMALL);
    const smallTarget = await createServerDatabase();
    try {
      // At 100,000 transfers the journal's rows alone are well over this heap.
      const heap = { NODE_OPTIONS: `--max-old-space-size=${HEAP_MB}` };
      const bounded = { ...source.env, ...key, ...heap };
      const floorEnv = { ...small.source.env, ...small.key, ...heap };
      const floor = {
        rebuild: await runCliMeasured(floorEnv, 'ledger', 'rebuild', '--into', smallTarget.url),
        diff: await runCliMeasured(floorEnv, 'ledger', 'diff', small.source.url, smallTarget.url),
      };
      expect([floor.rebuild.code, floor.diff.code]).toEqual([0, 0]);

      const rebuilt = await runCliMeasured(bounded, 'ledger', 'rebuild', '--into', target.url);
      expect({ code: rebuilt.code, unexpected: unexpectedLines(rebuilt.stderr, 'rebuilding') }).toEqual({
        code: 0,
        unexpected: [],
      });
      expect(rebuilt.stdout).toContain(`\ntransfers: ${LARGE} rows\n`);
      expect(rebuilt.peakRssMb - floor.rebuild.peakRssMb).toBeLessThan(GROWTH_BOUND_MB);

      const verified = await runCli({ DATABASE_URL: target.url, ...key }, 'ledger', 'verify');
      expect([verified.code, verified.stdout]).toEqual([
        0,
        expect.stringMatching(new RegExp(`${LARGE} transfers, \\d+ entries checked\\n[^]*ledger OK`)),
      ]);
      const [ours, theirs] = [await accountChains(source.url), await accountChains(target.url)];
      expect(theirs).toEqual(ours);
      expect(ours.length).toBeGreaterThan(USERS);

      const same = await runCliMeasured(bounded, 'ledger', 'diff', source.url, target.url);
      expect({ code: same.code, unexpected: unexpectedLines(same.stderr, 'comparing') }).toEqual({
        code: 0,
        unexpected: [],
      });
      expect(same.peakRssMb - floor.diff.peakRssMb).toBeLessThan(GROWTH_BOUND_MB);
    } finally {
      await Promise.all([source, target, small.source, smallTarget].map((db) => db.drop()));
    }
  });
});

/** Lines of `stderr` other than the plain progress lines a run without a terminal prints. */
const unexpectedLines = (stderr: string, verb: string) =>
  stderr.split('\n').filter((l) => l !== '' && !new RegExp(`^${verb}: \\d+/\\d+ rows`).test(l));

// Only the ledger at work while seeding.
const QUIET = {
  SCHEDULER_ENABLED: 'false',
  SETTLEMENT_ENABLED: 'false',
  WEBHOOKS_ENABLED: 'false',
  GRPC_ENABLED: 'false',
};
// Nest, TypeORM and the pg driver take ~40 MB of heap before the first row.
const HEAP_MB = 96;
// How much more the process may hold at its peak for LARGE transfers than for SMALL ones (34 MB
// measured on a quiet machine; the journal held in memory would be several times the heap).
const GROWTH_BOUND_MB = HEAP_MB;
const SMALL = 500;
const USERS = 200;
const BATCH = 5000;

/** A Postgres database holding `count` transfers, and the receipt key its app signed with. */
async function seededSource(count: number) {
  const source = await createServerDatabase();
  const t = await startTestApp(QUIET, source);
  try {
    await seedTransfers(t, count);
  } finally {
    await t.close();
  }
  return { source, key: { RECEIPT_SIGNING_KEY_HEX: t.env.RECEIPT_SIGNING_KEY_HEX } };
}

/**
 * Posts `count` transfers through the ledger's own batch path (LedgerWriter.postAll, in one
 * transaction per batch): mints, transfers between users, and holds, half captured and half
 * voided in the next batch, so pending counters and releases are in the journal too.
 */
async function seedTransfers(t: TestApp, count: number): Promise<void> {
  const writer = t.app.get(LedgerWriter);
  const uow = t.app.get(UnitOfWork);
  const users = Array.from({ length: USERS }, (_, i) => userAccount(`rebuild-${i}`));
  let posted = 0;
  let open: string[] = [];
  while (posted < count) {
    const batch: PostingRequest[] = [];
    if (posted === 0)
      users.forEach((u) =>
        batch.push({ id: randomUUID(), kind: 'mint', legs: simpleLegs(ISSUANCE, u, 1_000_000_000n) }),
      );
    open.forEach((holdId, i) =>
      batch.push(
        i % 2 === 0
          ? { id: randomUUID(), kind: 'capture', holdId, amount: 500n, to: PLATFORM }
          : { id: randomUUID(), kind: 'void', holdId },
      ),
    );
    open = [];
    for (let i = 0; batch.length < BATCH && posted + batch.length < count; i++) {
      const [from, to] = [users[(posted + i) % USERS], users[(posted + i * 7 + 1) % USERS]];
      if (i % 20 === 0) {
        const id = randomUUID();
        open.push(id);
        batch.push({ id, kind: 'hold', from, to: ESCROW, amount: 1000n });
      } else batch.push({ id: randomUUID(), kind: 'transfer', legs: simpleLegs(from, to, BigInt(1 + (i % 97))) });
    }
    const results = await uow.run(() => writer.postAll(batch));
    expect(results.filter((r) => r.outcome !== 'posted')).toEqual([]);
    posted += batch.length;
  }
}

/** Every account's counters and chain head, by name. */
async function accountChains(url: string): Promise<Record<string, string>[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT kind || '/' || owner_id AS name, posted_debits::text, posted_credits::text, pending_debits::text,
              pending_credits::text, version::text, encode(head_hash, 'hex') AS head FROM accounts ORDER BY kind, owner_id`,
    );
    return rows;
  } finally {
    await client.end();
  }
}
