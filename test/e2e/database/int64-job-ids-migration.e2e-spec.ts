import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { dataSourceOptions, EmbeddedPostgres } from '@tally/database';
import type { JournalTransferRow } from '@tally/ledger';
import {
  BATCH_DOMAIN,
  type BatchStatement,
  batchHash,
  batchStatementBytes,
  canonicalBytes,
  GENESIS_BATCH_HASH,
  keyIdOf,
  publicKeyOfSeed,
  type ReceiptBody,
  type ReceiptDocument,
  receiptStatement,
  type SealedBatch,
  sha256Hex,
  signEd25519,
  verifyBatch,
  verifyReceiptChain,
  verifyTransferProof,
} from '@tally/receipts';
import { computeBatch } from '@tally/settlement';
import { ALL_MIGRATIONS } from '../../../migrations';
import { runCli } from '../../support/cli';
import { ReceiptsCtx } from '../../support/receipts-ctx';
import { CAPABILITIES, HARDWARE } from '../../support/prover-profile';
import { createTestDatabase, TestDatabase } from '../../support/test-database';
import { startTestApp } from '../../support/test-app';

/**
 * The migration to int64 job ids, on a database that jobs, receipts, a ledger and a sealed
 * batch were written to under the schema before it (written here as that schema's code wrote
 * them): every reference is renumbered consistently, and what was signed before still verifies.
 */

const MIGRATION = 'Int64JobIds1763791800000';
const ZERO_HASH = Buffer.alloc(32);
const OLD_KEY = randomBytes(32).toString('hex');
const OLD_KEY_ID = keyIdOf(publicKeyOfSeed(OLD_KEY));
const CREDIT = 1_000_000n;

// Job C was submitted first; A and B at the same instant, so the old uuid orders them (A < B).
const JOB_A = '00000000-0000-4000-8000-00000000000a';
const JOB_B = 'ffffffff-0000-4000-8000-00000000000b';
const JOB_C = '7a7a7a7a-0000-4000-8000-00000000000c';
const CLIENT = 'old-client';
const PROVER = 'old-prover';

type Side = 'D' | 'C';
type Phase = 'posted' | 'pending' | 'release';
interface Account {
  /** Set when written. */
  id: number;
  kind: string;
  owner: string;
  allowNegative: boolean;
  postedDebits: bigint;
  postedCredits: bigint;
  pendingDebits: bigint;
  pendingCredits: bigint;
  version: bigint;
  head: Buffer;
}
interface OldTransfer {
  id: string;
  kind: string;
  amount: bigint;
  holdId: string | null;
  jobId: string | null;
  idempotencyKey: string | null;
  legs: { account: Account; side: Side; phase: Phase; amount: bigint }[];
}

/** The ledger as the previous code posted it: counters, versions and hash chains per account. */
class OldLedger {
  readonly accounts: Account[] = [];
  readonly transfers: (OldTransfer & { seq: number; createdAt: string })[] = [];

  account(kind: string, owner: string, allowNegative = false): Account {
    const a: Account = {
      id: 0,
      kind,
      owner,
      allowNegative,
      postedDebits: 0n,
      postedCredits: 0n,
      pendingDebits: 0n,
      pendingCredits: 0n,
      version: 0n,
      head: ZERO_HASH,
    };
    this.accounts.push(a);
    return a;
  }

  post(t: OldTransfer): OldTransfer {
    const texts = new Map<Account, string[]>();
    for (const l of t.legs) texts.set(l.account, [...(texts.get(l.account) ?? []), `${l.side}:${l.phase}:${l.amount}`]);
    for (const [a, legTexts] of texts) {
      a.version += 1n;
      a.head = createHash('sha256')
        .update(a.head)
        .update(`${t.id}|${legTexts.join(',')}`)
        .digest();
    }
    for (const { account: a, side, phase, amount } of t.legs) {
      if (phase === 'posted') {
        if (side === 'D') a.postedDebits += amount;
        else a.postedCredits += amount;
      } else {
        const by = phase === 'release' ? -amount : amount;
        if (side === 'D') a.pendingDebits += by;
        else a.pendingCredits += by;
      }
    }
    const seq = this.transfers.length + 1;
    this.transfers.push({ ...t, seq, createdAt: `2025-06-01T10:00:0${seq}.123456Z` });
    return t;
  }

  async write(m: EntityManager): Promise<void> {
    // The platform's singleton accounts exist from the migrations on: theirs are updated.
    for (const a of this.accounts) {
      [{ id: a.id }] = await m.query(
        `INSERT INTO accounts (kind, owner_id, allow_negative, posted_debits, posted_credits, pending_debits,
                               pending_credits, version, head_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (kind, owner_id, currency) DO UPDATE SET
           posted_debits = EXCLUDED.posted_debits, posted_credits = EXCLUDED.posted_credits,
           pending_debits = EXCLUDED.pending_debits, pending_credits = EXCLUDED.pending_credits,
           version = EXCLUDED.version, head_hash = EXCLUDED.head_hash
         RETURNING id::int AS id`,
        [
          a.kind,
          a.owner,
          a.allowNegative,
          a.postedDebits.toString(),
          a.postedCredits.toString(),
          a.pendingDebits.toString(),
          a.pendingCredits.toString(),
          a.version.toString(),
          a.head,
        ],
      );
    }
    // Entries carry each account's version and head after their transfer (replayed per transfer).
    const replay = new Map(this.accounts.map((a) => [a, { version: 0n, head: ZERO_HASH }]));
    for (const t of this.transfers) {
      await m.query(
        `INSERT INTO transfers (id, seq, kind, amount, hold_id, job_id, idempotency_key, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [t.id, t.seq, t.kind, t.amount.toString(), t.holdId, t.jobId, t.idempotencyKey, t.createdAt],
      );
      const texts = new Map<Account, string[]>();
      for (const l of t.legs)
        texts.set(l.account, [...(texts.get(l.account) ?? []), `${l.side}:${l.phase}:${l.amount}`]);
      for (const [a, legTexts] of texts) {
        const r = replay.get(a)!;
        r.version += 1n;
        r.head = createHash('sha256')
          .update(r.head)
          .update(`${t.id}|${legTexts.join(',')}`)
          .digest();
      }
      for (const [leg, l] of t.legs.entries()) {
        const r = replay.get(l.account)!;
        await m.query(
          `INSERT INTO entries (transfer_id, transfer_seq, leg, account_id, side, phase, amount, posted_debits_after,
                                posted_credits_after, pending_debits_after, pending_credits_after, version_after, hash)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 0, 0, 0, $8, $9)`,
          [t.id, t.seq, leg, l.account.id, l.side, l.phase, l.amount.toString(), r.version.toString(), r.head],
        );
      }
    }
    await m.query(`SELECT setval('transfers_seq', $1)`, [this.transfers.length]);
  }

  /** The journal rows a seal read, under the previous schema (job ids were uuids). */
  journal(): JournalTransferRow[] {
    return this.transfers.map((t) => ({
      id: t.id,
      seq: String(t.seq),
      kind: t.kind,
      amount: t.amount.toString(),
      hold_id: t.holdId,
      job_id: t.jobId,
      legacy_job_id: null,
      prover_id: null,
      created_at: t.createdAt,
      legs: t.legs
        .map((l) => `${l.account.id} ${l.account.kind} ${l.account.owner} ${l.side} ${l.phase} ${l.amount}`)
        .join(','),
    }));
  }
}

/** A version 1 receipt, signed by the old key as the previous code signed it. */
function oldReceipt(fields: Omit<ReceiptBody, 'receipt_id' | 'issued_at'>): ReceiptDocument {
  const receipt = { receipt_id: randomUUID(), issued_at: '2025-06-01T10:00:09.000Z', ...fields } as ReceiptBody;
  const statement = receiptStatement(receipt, 1);
  const bytes = canonicalBytes(statement);
  return {
    ...statement,
    receipt_hash: sha256Hex(bytes),
    signature: { key_id: OLD_KEY_ID, algorithm: 'ed25519', value: signEd25519(OLD_KEY, bytes) },
  };
}

/** Migrations up to (with `through`, including) the int64 one, on a connection of the test's own. */
async function migrate(url: string, through: boolean): Promise<DataSource> {
  const at = ALL_MIGRATIONS.findIndex((m) => m.name === MIGRATION);
  const ds = new DataSource({
    ...dataSourceOptions(url, 2),
    migrations: ALL_MIGRATIONS.slice(0, at + (through ? 1 : 0)),
  });
  await ds.initialize();
  await ds.runMigrations({ transaction: 'each' });
  return ds;
}

describe('migration to int64 job ids', () => {
  let db: TestDatabase;
  let embedded: EmbeddedPostgres | null = null;
  beforeAll(async () => (db = await createTestDatabase()));
  afterAll(async () => {
    await embedded?.stop();
    await db.drop();
  });

  /** A connection URL to the test's database (the embedded one started for the time being). */
  async function url(): Promise<string> {
    if (db.env.DATABASE_URL) return db.env.DATABASE_URL;
    embedded = new EmbeddedPostgres(db.env.TALLY_DATA_DIR);
    return embedded.start();
  }
  async function release(ds: DataSource): Promise<void> {
    await ds.destroy();
    await embedded?.stop();
    embedded = null;
  }

  it('numbers old jobs in submission order, rewrites every reference, and keeps old receipts and batches verifying', async () => {
    // --- The database as the previous schema left it. ---
    let ds = await migrate(await url(), false);
    const ledger = new OldLedger();
    const issuance = ledger.account('issuance', 'main', true);
    const user = ledger.account('user', CLIENT);
    const escrow = ledger.account('escrow', 'main');
    ledger.account('platform', 'main');
    const held: Record<string, bigint> = { [JOB_A]: 10n * CREDIT, [JOB_B]: 5n * CREDIT, [JOB_C]: 3n * CREDIT };
    ledger.post({
      id: randomUUID(),
      kind: 'mint',
      amount: 100n * CREDIT,
      holdId: null,
      jobId: null,
      idempotencyKey: null,
      legs: [
        { account: issuance, side: 'D', phase: 'posted', amount: 100n * CREDIT },
        { account: user, side: 'C', phase: 'posted', amount: 100n * CREDIT },
      ],
    });
    const holds = Object.fromEntries(
      [JOB_A, JOB_B, JOB_C].map((job) => {
        const id = randomUUID();
        const t = ledger.post({
          id,
          kind: 'hold',
          amount: held[job],
          holdId: id, // a hold is named by the transfer that placed it
          jobId: job,
          idempotencyKey: `job:${job}:hold`,
          legs: [
            { account: user, side: 'D', phase: 'pending', amount: held[job] },
            { account: escrow, side: 'C', phase: 'pending', amount: held[job] },
          ],
        });
        return [job, t.id];
      }),
    );
    const voidC = ledger.post({
      id: randomUUID(),
      kind: 'void',
      amount: held[JOB_C],
      holdId: holds[JOB_C],
      jobId: JOB_C,
      idempotencyKey: `job:${JOB_C}:void`,
      legs: [
        { account: user, side: 'D', phase: 'release', amount: held[JOB_C] },
        { account: escrow, side: 'C', phase: 'release', amount: held[JOB_C] },
      ],
    });
    const assignmentA = oldReceipt({
      kind: 'assignment',
      seq: 1,
      network_job_id: JOB_A,
      prev_receipt_hash: null,
      client_id: CLIENT,
      round: 1,
      provers: [{ prover_id: PROVER, replica: 1, scorecard_version: null, score: null }],
    });
    const settlementC = oldReceipt({
      kind: 'settlement',
      seq: 1,
      network_job_id: JOB_C,
      prev_receipt_hash: null,
      client_id: CLIENT,
      status: 'CANCELLED',
      refund_micros: held[JOB_C].toString(),
    });
    await ds.transaction(async (m) => {
      await ledger.write(m);
      for (const [job, status, at, clientJobId] of [
        // Recent enough that no timeout has run out by the time the service looks at them.
        [JOB_C, 'CANCELLED', new Date(Date.now() - 60_000).toISOString(), 'old-c'],
        [JOB_A, 'ASSIGNED', new Date(Date.now() - 30_000).toISOString(), 'old-a'],
        [JOB_B, 'PENDING', new Date(Date.now() - 30_000).toISOString(), 'old-b'],
      ]) {
        await m.query(
          `INSERT INTO jobs (network_job_id, client_id, client_job_id, request_hash, payload, max_cost_micros, priority,
                             replicas, status, hold_id, held_micros, refunded_micros, submitted_at, assigned_at,
                             cancelled_at)
           VALUES ($1, $2, $3, $4, '{"task": "prove"}', $5, 'NORMAL', 1, $6::varchar, $7, $5, $8, $9,
                   CASE WHEN $6::varchar = 'ASSIGNED' THEN $9::timestamptz END,
                   CASE WHEN $6::varchar = 'CANCELLED' THEN $9::timestamptz END)`,
          [
            job,
            CLIENT,
            clientJobId,
            'a'.repeat(64),
            held[job].toString(),
            status,
            holds[job],
            status === 'CANCELLED' ? held[job].toString() : null,
            at,
          ],
        );
      }
      await m.query(`INSERT INTO job_assignments (network_job_id, prover_id, replica) VALUES ($1, $2, 1)`, [
        JOB_A,
        PROVER,
      ]);
      await m.query(
        `INSERT INTO holds (id, debit_account_id, credit_account_id, amount, status, job_id, resolved_by, resolved_at)
         SELECT h.id, $1, $2, h.amount, h.status, h.job, h.by, CASE WHEN h.by IS NOT NULL THEN now() END
         FROM unnest($3::uuid[], $4::bigint[], $5::varchar[], $6::varchar[], $7::uuid[]) AS h(id, amount, status, job, by)`,
        [
          user.id,
          escrow.id,
          [holds[JOB_A], holds[JOB_B], holds[JOB_C]],
          [held[JOB_A], held[JOB_B], held[JOB_C]].map(String),
          ['pending', 'pending', 'voided'],
          [JOB_A, JOB_B, JOB_C],
          [null, null, voidC.id],
        ],
      );
      for (const t of ledger.transfers.filter((x) => x.idempotencyKey)) {
        await m.query(
          `INSERT INTO idempotency_keys (scope, key, request_hash, outcome, transfer_id) VALUES ('system', $1, $2, 'posted', $3)`,
          [t.idempotencyKey, 'b'.repeat(64), t.id],
        );
      }
      await m.query(
        `INSERT INTO receipt_keys (key_id, public_key, purpose, status) VALUES ($1, $2, 'signing', 'active')`,
        [OLD_KEY_ID, publicKeyOfSeed(OLD_KEY)],
      );
      for (const [doc, job, round] of [
        [assignmentA, JOB_A, 1],
        [settlementC, JOB_C, 0],
      ] as const) {
        await m.query(
          `INSERT INTO receipts (receipt_id, network_job_id, seq, kind, round, receipt_hash, prev_receipt_hash, key_id, document)
           VALUES ($1, $2, 1, $3, $4, $5, NULL, $6, $7)`,
          [doc.receipt.receipt_id, job, doc.receipt.kind, round, doc.receipt_hash, OLD_KEY_ID, JSON.stringify(doc)],
        );
      }
      const auditEventId = randomUUID();
      await m.query(`INSERT INTO job_audit_log (event_id, network_job_id, event) VALUES ($1, $2, $3)`, [
        auditEventId,
        JOB_C,
        JSON.stringify({ network_job_id: JOB_C, status: 'CANCELLED', event_id: auditEventId }),
      ]);
      await m.query(`INSERT INTO prover_cancellation_acks (prover_id, network_job_id) VALUES ($1, $2)`, [
        PROVER,
        JOB_C,
      ]);
      await m.query(
        `INSERT INTO outbox (event_type, partition_key, payload, published_at) VALUES
           ('JobSubmitted', $1, $2, NULL),
           ('HoldPlaced', $1, $3, NULL),
           ('JobCancelled', $4, $5, now())`,
        [
          JOB_B,
          JSON.stringify({
            network_job_id: JOB_B,
            client_id: CLIENT,
            priority: 'NORMAL',
            replicas: 1,
            requirements: {},
          }),
          JSON.stringify({ transfer_id: holds[JOB_B], kind: 'hold', job_id: JOB_B }),
          JOB_C,
          JSON.stringify({ network_job_id: JOB_C, status: 'CANCELLED' }),
        ],
      );
    });
    // A version 1 batch sealed over all of it, as the previous seal computed and signed it.
    const [{ horizon }] = await ds.query(`SELECT pg_current_xact_id()::text AS horizon`);
    const computed = computeBatch(ledger.journal(), new Map(), 0n, 1);
    const statement: BatchStatement = {
      domain: BATCH_DOMAIN,
      version: 1,
      batch_no: 1,
      prev_batch_hash: GENESIS_BATCH_HASH,
      horizon,
      first_seq: computed.firstSeq,
      last_seq: computed.lastSeq,
      transfer_count: ledger.transfers.length,
      transfers_root: computed.transfersRoot,
      balances_root: computed.balancesTree.root.hash,
      account_count: computed.accounts.length,
      total_supply: computed.totalSupply.toString(),
      created_at: '2025-06-01T10:05:00.000Z',
      key_id: OLD_KEY_ID,
    };
    const oldBatch: SealedBatch = {
      ...statement,
      batch_hash: batchHash(statement),
      signature: signEd25519(OLD_KEY, batchStatementBytes(statement)),
    };
    await ds.transaction(async (m) => {
      await m.query(
        `INSERT INTO settlement_batches (batch_no, prev_batch_hash, horizon, first_seq, last_seq, transfer_count,
           transfers_root, balances_root, account_count, total_supply, created_at, key_id, signature, batch_hash)
         VALUES (1, $1, $2::xid8, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
        [
          oldBatch.prev_batch_hash,
          oldBatch.horizon,
          oldBatch.first_seq,
          oldBatch.last_seq,
          oldBatch.transfer_count,
          oldBatch.transfers_root,
          oldBatch.balances_root,
          oldBatch.account_count,
          oldBatch.total_supply,
          oldBatch.created_at,
          oldBatch.key_id,
          oldBatch.signature,
          oldBatch.batch_hash,
        ],
      );
      for (const [position, id] of computed.transferIds.entries()) {
        await m.query(
          `INSERT INTO settlement_batch_transfers (transfer_id, batch_no, position, leaf_hash) VALUES ($1, 1, $2, $3)`,
          [id, position, computed.transferLeaves[position]],
        );
      }
      for (const a of computed.touched) {
        await m.query(
          `INSERT INTO settlement_balances (account_id, batch_no, balance, leaf_hash) VALUES ($1, 1, $2, $3)`,
          [a.accountId, a.balance.toString(), a.leaf.hash],
        );
      }
    });
    await release(ds);

    // --- The migration, and every reference after it. ---
    ds = await migrate(await url(), true);
    const q = (sql: string) => ds.query(sql);
    expect(await q(`SELECT network_job_id::text AS id, client_job_id FROM jobs ORDER BY network_job_id`)).toEqual([
      { id: '1', client_job_id: 'old-c' },
      { id: '2', client_job_id: 'old-a' },
      { id: '3', client_job_id: 'old-b' },
    ]);
    expect(await q(`SELECT network_job_id::text AS id, prover_id FROM job_assignments`)).toEqual([
      { id: '2', prover_id: PROVER },
    ]);
    expect(
      await q(
        `SELECT network_job_id::text AS id, document->'receipt'->>'network_job_id' AS signed FROM receipts ORDER BY 1`,
      ),
    ).toEqual([
      { id: '1', signed: JOB_C }, // the signed document is left as it was signed
      { id: '2', signed: JOB_A },
    ]);
    expect(await q(`SELECT network_job_id::text AS id, event->>'network_job_id' AS event FROM job_audit_log`)).toEqual([
      { id: '1', event: '1' },
    ]);
    expect(await q(`SELECT network_job_id::text AS id FROM prover_cancellation_acks`)).toEqual([{ id: '1' }]);
    expect(
      await q(
        `SELECT event_type, partition_key, payload->>'network_job_id' AS job, payload->>'job_id' AS ledger_job
         FROM outbox ORDER BY id`,
      ),
    ).toEqual([
      { event_type: 'JobSubmitted', partition_key: '3', job: '3', ledger_job: null },
      { event_type: 'HoldPlaced', partition_key: '3', job: null, ledger_job: '3' },
      // A published event stays as it was handed on.
      { event_type: 'JobCancelled', partition_key: JOB_C, job: JOB_C, ledger_job: null },
    ]);
    expect(await q(`SELECT job_id, idempotency_key FROM transfers WHERE job_id IS NOT NULL ORDER BY seq`)).toEqual([
      { job_id: '2', idempotency_key: 'job:2:hold' },
      { job_id: '3', idempotency_key: 'job:3:hold' },
      { job_id: '1', idempotency_key: 'job:1:hold' },
      { job_id: '1', idempotency_key: 'job:1:void' },
    ]);
    expect(await q(`SELECT job_id FROM holds ORDER BY amount DESC`)).toEqual([
      { job_id: '2' },
      { job_id: '3' },
      { job_id: '1' },
    ]);
    expect(await q(`SELECT key FROM idempotency_keys ORDER BY key`)).toEqual([
      { key: 'job:1:hold' },
      { key: 'job:1:void' },
      { key: 'job:2:hold' },
      { key: 'job:3:hold' },
    ]);
    expect(await q(`SELECT batch_no::int, version FROM settlement_batches`)).toEqual([{ batch_no: 1, version: 1 }]);
    await release(ds);

    // --- The service on the migrated database: old documents verify, old jobs carry on. ---
    const t = await startTestApp({ SETTLEMENT_SEAL_CRON: '0 0 0 1 1 *' }, db);
    try {
      const ctx = new ReceiptsCtx(t);
      const keys = await ctx.keys();
      expect(keys.find((k) => k.key_id === OLD_KEY_ID)?.status).toBe('retired');

      // The cancelled job's version 1 chain, as signed, by the retired key.
      const chainC = await ctx.chain('1');
      expect(chainC).toEqual([settlementC]);
      expect(verifyReceiptChain(chainC, keys)).toMatchObject({ valid: true });
      expect(await ctx.verify(settlementC)).toMatchObject({ valid: true, key_id: OLD_KEY_ID });

      // The batch sealed before: served as version 1, its signature and proofs verify.
      const batch1 = (await t.http().get('/v1/settlement/batches/1').set(ctx.admin()).expect(200)).body;
      expect(batch1).toMatchObject({ version: 1, batch_hash: oldBatch.batch_hash });
      expect(verifyBatch(batch1, keys)).toEqual({ valid: true });
      const proofA = (
        await t.http().get(`/v1/settlement/batches/1/proofs/transfers/${holds[JOB_A]}`).set(ctx.admin()).expect(200)
      ).body;
      expect(proofA.transfer).toMatchObject({ version: 1, job_id: JOB_A });
      expect(verifyTransferProof(batch1, proofA)).toEqual({ valid: true });

      // The job assigned before the migration runs to the end under its number.
      const job2 = await ctx.job('2').expect(200);
      expect(job2.body).toMatchObject({ network_job_id: '2', status: 'ASSIGNED', client_job_id: 'old-a' });
      const prover = { name: PROVER, key: await ctx.newKey('prover', PROVER) };
      await t
        .http()
        .post('/v1/provers/register')
        .set(prover.key)
        .send({ prover_id: PROVER, hardware_profile: HARDWARE, capabilities: CAPABILITIES, max_concurrency: 8 })
        .expect(201);
      await ctx.start('2', prover.key).expect(201);
      await ctx.report('2', prover.key, { success: true, final_cost_micros: '4000000' }).expect(201);
      const chainA = await ctx.settledChain('2', 'AUDITED'); // audited straight after it completes
      expect(chainA.map((r) => [r.version, r.receipt.kind, r.receipt.network_job_id])).toEqual([
        [1, 'assignment', JOB_A],
        [2, 'execution', '2'],
        [2, 'settlement', '2'],
      ]);
      // The first version 2 receipt names the uuid its predecessor knew the job by; the next need not.
      expect(chainA[1].receipt.legacy_network_job_id).toBe(JOB_A);
      expect(chainA[2].receipt.legacy_network_job_id).toBeUndefined();
      expect(verifyReceiptChain(chainA, keys)).toMatchObject({ valid: true, length: 3 });

      // The pending one cancels under its number, refunding its old hold.
      const client = await ctx.newKey('client', CLIENT);
      const cancelled = await t.http().post('/v1/jobs/3/cancel').set(client).send({}).expect(200);
      expect(cancelled.body).toMatchObject({ network_job_id: '3', status: 'CANCELLED', refunded_micros: '5000000' });

      // The sequence goes on after the migrated jobs.
      const fresh = await ctx.submit(client, { max_cost_micros: '1000000' }).expect(201);
      expect(fresh.body.network_job_id).toBe('4');

      // A batch sealed now is version 2: a job's transfer names it by its number.
      const batch2 = (await t.http().post('/v1/settlement/batches').set(ctx.admin()).send({}).expect(201)).body.batch;
      expect(batch2).toMatchObject({ batch_no: 2, version: 2 });
      expect(verifyBatch(batch2, keys)).toEqual({ valid: true });
      const [capture] = await t.dataSource.query(
        `SELECT id::text FROM transfers WHERE kind = 'capture' AND job_id = '2'`,
      );
      const proofCapture = (
        await t.http().get(`/v1/settlement/batches/2/proofs/transfers/${capture.id}`).set(ctx.admin()).expect(200)
      ).body;
      expect(proofCapture.transfer).toMatchObject({ version: 2, job_id: '2' });
      expect(verifyTransferProof(batch2, proofCapture)).toEqual({ valid: true });
    } finally {
      await t.close();
    }

    // The ledger and both batches recompute from the journal.
    const verified = await runCli(db.env, 'ledger', 'verify');
    expect(verified.stdout + verified.stderr).toMatch(/settlement OK/);
    expect(verified.code).toBe(0);
  }, 300_000);
});
