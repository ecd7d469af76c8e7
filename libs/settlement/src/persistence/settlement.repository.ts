import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@tally/database';
import { type AccountKind, type JournalTransferRow, LedgerQueries } from '@tally/ledger';
import { BATCH_DOMAIN, ReceiptKeysQuery, type PublicKeyRef, type SealedBatch } from '@tally/receipts';
import { type AccountBalance, sortAccounts } from '../domain';

/** Serialises seals across replicas (transaction-scoped advisory lock). */
const SEAL_LOCK = 0x7a11_5e01;

interface BatchRow {
  batch_no: string;
  version: number;
  prev_batch_hash: string;
  horizon: string;
  first_seq: string;
  last_seq: string;
  transfer_count: number;
  transfers_root: string;
  balances_root: string;
  account_count: number;
  total_supply: string;
  created_at: Date;
  key_id: string;
  signature: string;
  batch_hash: string;
}

const BATCH_COLUMNS = `batch_no::text, version, prev_batch_hash, horizon::text, first_seq::text, last_seq::text, transfer_count,
  transfers_root, balances_root, account_count, total_supply::text, created_at, key_id, signature, batch_hash`;

export function toSealedBatch(r: BatchRow): SealedBatch {
  return {
    domain: BATCH_DOMAIN,
    version: r.version,
    batch_no: Number(r.batch_no),
    prev_batch_hash: r.prev_batch_hash,
    horizon: r.horizon,
    first_seq: r.first_seq,
    last_seq: r.last_seq,
    transfer_count: r.transfer_count,
    transfers_root: r.transfers_root,
    balances_root: r.balances_root,
    account_count: r.account_count,
    total_supply: r.total_supply,
    created_at: r.created_at.toISOString(),
    key_id: r.key_id,
    signature: r.signature,
    batch_hash: r.batch_hash,
  };
}

/**
 * The settlement tables, in raw SQL (no entities, so nothing to drift from the migration);
 * the journal and the accounts through the ledger's queries, the keys through the receipts'.
 */
@Injectable()
export class SettlementRepository {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly ledger: LedgerQueries,
    private readonly receiptKeys: ReceiptKeysQuery,
  ) {}

  /** The current unit of work's transaction (a seal's), or a pooled connection outside one. */
  private get db() {
    return this.uow.tx;
  }

  /** Takes the seal lock, held until the current transaction ends. */
  async lockSeal(): Promise<void> {
    await this.db.query(`SELECT pg_advisory_xact_lock(${SEAL_LOCK})`);
  }

  /**
   * Every transaction of this database with an id below this has ended (committed or
   * rolled back). Transaction ids are cluster-wide, so the snapshot's in-flight list also
   * holds other databases' transactions: those that are positively known to belong to
   * another database (a live backend connected there owns the id) do not hold the horizon
   * back. Anything unidentified counts as ours, so a race can only make the horizon lower.
   */
  async horizon(): Promise<string> {
    // pg_stat_activity is read once per transaction unless cleared; the seal re-reads it while waiting.
    await this.db.query(`SELECT pg_stat_clear_snapshot()`);
    const [row] = await this.db.query(
      `WITH s AS (SELECT pg_current_snapshot() AS snap),
            elsewhere AS (SELECT backend_xid::text::bigint AS x FROM pg_stat_activity
                          WHERE backend_xid IS NOT NULL AND datname IS DISTINCT FROM current_database())
       SELECT LEAST(pg_snapshot_xmax(s.snap),
                    (SELECT min(x) FROM pg_snapshot_xip(s.snap) AS x
                     WHERE x::text::bigint % 4294967296 NOT IN (SELECT e.x FROM elsewhere e)))::text AS h
       FROM s`,
    );
    return row.h;
  }

  /** Whether some committed transfer lies at or beyond the horizon (its transaction is newer than one in flight). */
  anyBeyond(horizon: string): Promise<boolean> {
    return this.ledger.anyTransferWrittenBetween(horizon);
  }

  async lastBatch(): Promise<SealedBatch | null> {
    const rows: BatchRow[] = await this.db.query(
      `SELECT ${BATCH_COLUMNS} FROM settlement_batches b ORDER BY b.batch_no DESC LIMIT 1`,
    );
    return rows[0] ? toSealedBatch(rows[0]) : null;
  }

  async batch(batchNo: number): Promise<SealedBatch | null> {
    const rows: BatchRow[] = await this.db.query(
      `SELECT ${BATCH_COLUMNS} FROM settlement_batches WHERE batch_no = $1`,
      [batchNo],
    );
    return rows[0] ? toSealedBatch(rows[0]) : null;
  }

  /** Batches in order after `after`, up to `limit`. */
  async batches(after: number, limit: number): Promise<SealedBatch[]> {
    const rows: BatchRow[] = await this.db.query(
      `SELECT ${BATCH_COLUMNS} FROM settlement_batches b WHERE b.batch_no > $1 ORDER BY b.batch_no LIMIT $2`,
      [after, limit],
    );
    return rows.map(toSealedBatch);
  }

  anyMember(from: string, below: string): Promise<boolean> {
    return this.ledger.anyTransferWrittenBetween(from, below);
  }

  /** The transfers inserted by transactions with ids in [from, below), in sequence order. */
  members(from: string, below: string): Promise<JournalTransferRow[]> {
    return this.ledger.transfersWrittenBetween(from, below);
  }

  member(transferId: string): Promise<JournalTransferRow | null> {
    return this.ledger.transferWithLegs(transferId);
  }

  /** Each account's balance as of batch `batchNo` (all of them when `accountIds` is omitted). */
  async balancesAt(batchNo: number, accountIds?: string[]): Promise<AccountBalance[]> {
    const rows: { account_id: string; kind: string; owner_id: string; balance: string; leaf_hash: Buffer }[] =
      await this.db.query(
        `SELECT DISTINCT ON (b.account_id) b.account_id::text, a.kind, a.owner_id, b.balance::text, b.leaf_hash
         FROM settlement_balances b CROSS JOIN LATERAL ${LedgerQueries.accountRefSql('b.account_id')} a
         WHERE b.batch_no <= $1 ${accountIds ? 'AND b.account_id = ANY($2::bigint[])' : ''}
         ORDER BY b.account_id, b.batch_no DESC`,
        accountIds ? [batchNo, accountIds] : [batchNo],
      );
    return sortAccounts(
      rows.map((r) => ({
        accountId: r.account_id,
        kind: r.kind,
        owner: r.owner_id,
        balance: BigInt(r.balance),
        leaf: { hash: r.leaf_hash, sum: BigInt(r.balance) },
      })),
    );
  }

  /** Writes a sealed batch, its leaf positions, the balances it changed and its pending delivery to the primary sink. */
  async insertBatch(
    batch: SealedBatch,
    transferIds: string[],
    leaves: Buffer[],
    touched: AccountBalance[],
    primarySink: string | undefined,
  ): Promise<void> {
    await this.db.query(
      `INSERT INTO settlement_batches (batch_no, prev_batch_hash, horizon, first_seq, last_seq, transfer_count,
         transfers_root, balances_root, account_count, total_supply, created_at, key_id, signature, batch_hash, version)
       VALUES ($1, $2, $3::xid8, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
      [
        batch.batch_no,
        batch.prev_batch_hash,
        batch.horizon,
        batch.first_seq,
        batch.last_seq,
        batch.transfer_count,
        batch.transfers_root,
        batch.balances_root,
        batch.account_count,
        batch.total_supply,
        batch.created_at,
        batch.key_id,
        batch.signature,
        batch.batch_hash,
        batch.version,
      ],
    );
    const CHUNK = 50_000;
    for (let from = 0; from < transferIds.length; from += CHUNK) {
      const ids = transferIds.slice(from, from + CHUNK);
      await this.db.query(
        `INSERT INTO settlement_batch_transfers (transfer_id, batch_no, position, leaf_hash)
         SELECT u.id, $1, u.pos - 1 + $4, decode(u.h, 'hex')
         FROM unnest($2::uuid[], $3::text[]) WITH ORDINALITY AS u(id, h, pos)`,
        [batch.batch_no, ids, leaves.slice(from, from + CHUNK).map((l) => l.toString('hex')), from],
      );
    }
    if (touched.length > 0) {
      await this.db.query(
        `INSERT INTO settlement_balances (account_id, batch_no, balance, leaf_hash)
         SELECT u.a, $1, u.b, decode(u.h, 'hex') FROM unnest($2::bigint[], $3::bigint[], $4::text[]) AS u(a, b, h)`,
        [
          batch.batch_no,
          touched.map((t) => t.accountId),
          touched.map((t) => t.balance.toString()),
          touched.map((t) => t.leaf.hash.toString('hex')),
        ],
      );
    }
    if (primarySink) {
      // Due from the batch's own (Clock) time: delivery is due by the Clock too.
      await this.db.query(`INSERT INTO settlement_deliveries (sink, batch_no, next_attempt_at) VALUES ($1, $2, $3)`, [
        primarySink,
        batch.batch_no,
        batch.created_at,
      ]);
    }
  }

  /** A batch's transfer leaves in position order (with their transfer ids). */
  async batchLeaves(batchNo: number): Promise<{ ids: string[]; leaves: Buffer[] }> {
    const rows: { transfer_id: string; leaf_hash: Buffer }[] = await this.db.query(
      `SELECT transfer_id::text, leaf_hash FROM settlement_batch_transfers WHERE batch_no = $1 ORDER BY position`,
      [batchNo],
    );
    return { ids: rows.map((r) => r.transfer_id), leaves: rows.map((r) => r.leaf_hash) };
  }

  /** Rows this batch stored for the balances it changed. */
  async touchedBalances(batchNo: number) {
    const rows: { account_id: string; balance: string; leaf_hash: Buffer }[] = await this.db.query(
      `SELECT account_id::text, balance::text, leaf_hash FROM settlement_balances WHERE batch_no = $1`,
      [batchNo],
    );
    return rows;
  }

  accountId(kind: string, owner: string): Promise<string | null> {
    return this.ledger.accountId({ kind: kind as AccountKind, owner });
  }

  /** Transfers below `horizon` in the journal, and transfers recorded in any batch: what the verifier counts against. */
  async transferCounts(horizon: string): Promise<{ below: number; batched: number }> {
    const [row]: { below: number; batched: number }[] = await this.db.query(
      `SELECT ${LedgerQueries.transfersWrittenBeforeCountSql('$1::xid8')}::int AS below,
              (SELECT count(*) FROM settlement_batch_transfers)::int AS batched`,
      [horizon],
    );
    return row;
  }

  /** Every published signing key, retired ones included, read as stored (one keyring signs receipts and batches). */
  publishedKeys(): Promise<PublicKeyRef[]> {
    return this.receiptKeys.published();
  }
}
