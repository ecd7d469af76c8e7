import type { AccountKind } from './account';
import type { LedgerRejection } from './ledger-rejection';
import type { Phase, Side, TransferKind } from './transfer';

/** An entry as the ledger reports it, with the account's counters after the entry. */
export interface EntryView {
  account_type: AccountKind;
  account_id: string;
  side: Side;
  phase: Phase;
  amount: string;
  posted_debits: string;
  posted_credits: string;
  pending_debits: string;
  pending_credits: string;
  version: string;
}

/** A transfer as `ledger_transfer_view` returns it (amounts in micros, as strings). */
export interface TransferView {
  id: string;
  seq: string;
  kind: TransferKind;
  amount: string;
  hold_id: string | null;
  job_id: string | null;
  prover_id: string | null;
  memo: string | null;
  metadata: Record<string, unknown> | null;
  created_at: string;
  entries: EntryView[];
}

/**
 * The outcome of one posting request: posted, refused by the ledger's rules, or (`conflict`)
 * its idempotency key was used before with another request. A replay answers as the first time.
 */
export type PostingResult =
  | { outcome: 'posted' | 'replay'; transfer: TransferView }
  | { outcome: 'rejected' | 'replay'; rejection: LedgerRejection }
  | { outcome: 'conflict' };
