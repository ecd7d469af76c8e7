import { replayAccountChains } from './account-chains';
import type { SqlSession } from './sql-session';
import type { JournalTable } from './table-pages';

export type { JournalTable };

const ACCOUNT_TOTALS = ['posted_debits', 'posted_credits', 'pending_debits', 'pending_credits', 'version', 'head_hash'];

/**
 * What a rebuild copies and what it recomputes, in the order it writes them (a table after
 * the tables its foreign keys name). A table added to the schema that belongs to the record
 * of what happened is one line in JOURNAL_TABLES; `ledger diff` compares it too.
 * Journal tables are copied as stored, in this order.
 */
export const JOURNAL_TABLES: readonly JournalTable[] = [
  // The published keys that signed receipts and batches: the verifiers check against them.
  { table: 'receipt_keys', key: ['key_id'] },
  { table: 'accounts', key: ['id'], recomputed: ACCOUNT_TOTALS, label: `t.kind || '/' || t.owner_id` },
  { table: 'balance_alerts', key: ['id'] },
  { table: 'transfers', key: ['seq'] },
  { table: 'holds', key: ['id'] },
  // Payouts and their states (each names its hold).
  { table: 'payouts', key: ['id'] },
  { table: 'idempotency_keys', key: ['scope', 'key'] },
  // The time of the last imported transfer: imports continue in order on the target.
  { table: 'ledger_import_watermark', key: ['id'] },
  // A job's payload may be up to 10 MB: few to a page.
  { table: 'jobs', key: ['network_job_id'], page: 20 },
  { table: 'job_assignments', key: ['network_job_id', 'prover_id'] },
  { table: 'revoked_replicas', key: ['network_job_id', 'prover_id'] },
  { table: 'job_audit_log', key: ['id'], page: 500 },
  { table: 'receipts', key: ['network_job_id', 'seq'], page: 500 },
  // Countersignatures of a receipt quorum (receipt, signer).
  { table: 'receipt_signatures', key: ['receipt_id', 'signer_id'], page: 500 },
  { table: 'settlement_batches', key: ['batch_no'] },
  { table: 'settlement_batch_transfers', key: ['batch_no', 'position'] },
  { table: 'settlement_balances', key: ['batch_no', 'account_id'] },
  // The control-action log (hash-chained; `ledger verify` checks the chain on the target too).
  { table: 'control_log', key: ['seq'] },
];

/** State that follows from the journal: recomputed by a rebuild, never copied. */
export interface DerivedState {
  /** The table it writes (besides the `recomputed` columns of journal tables), compared by `ledger diff` too. */
  table: JournalTable;
  /** Recomputes it from the source's journal into the target, after every journal table is copied. */
  recompute(source: SqlSession, target: SqlSession, advance: (rows: number) => void): Promise<void>;
}

export const DERIVED_STATE: readonly DerivedState[] = [
  // Entries' running counters and hashes, and accounts' totals, versions and chain heads.
  { table: { table: 'entries', key: ['id'] }, recompute: replayAccountChains },
];

/** Every table a rebuild writes and `ledger diff` compares. */
export const COMPARED_TABLES: readonly JournalTable[] = [...JOURNAL_TABLES, ...DERIVED_STATE.map((d) => d.table)];
