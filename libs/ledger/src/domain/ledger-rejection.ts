/**
 * Why the ledger refused a posting. A business outcome, not a transport's: the DSE code and
 * HTTP status it answers with are decided where errors leave the service (ledger-errors.ts
 * gives the code, the API the status), never here.
 */
export const REJECTION_REASONS = [
  /** The debits of a transfer do not equal its credits (per currency and phase), or it moves nothing. */
  'unbalanced',
  /** A debit beyond an account's available balance (an account that may not go negative). */
  'insufficient-credits',
  /** A named account does not exist (and is not one created on its first credit). */
  'unknown-account',
  /** No hold has the given id. */
  'unknown-hold',
  /** The hold was captured, voided or expired already. */
  'hold-not-open',
  /** The hold is past its expiry: it can only be voided or expired now. */
  'hold-expired',
  /** A capture of more than the hold holds. */
  'capture-exceeds-hold',
  /** The amount, or an account's running totals after it, would leave the int64 range. */
  'beyond-int64',
  /** An imported transfer dated before the last imported one (history is imported in order). */
  'import-out-of-order',
  /** A client-chosen transfer id that another transfer already has. */
  'id-already-used',
  /** Another item of its linked chain failed, so none of the chain posted. */
  'linked_event_failed',
  /** A movement of a stake account that is not a bond, an unbonding or its release (stake-rules.ts). */
  'stake-account',
  /** Its linked chain was still open at the end of the batch (the last item was linked). */
  'linked_event_chain_open',
  /** It moves a reserved account (the payout clearing account) and is not that account's own use case. */
  'reserved-account',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/** A refusal: its reason, and the detail the caller is told (naming the accounts or hold concerned). */
export interface LedgerRejection {
  reason: RejectionReason;
  detail: string;
}

export const UNBALANCED_DETAIL = 'the debits of a transfer must equal its credits';

export const rejection = (reason: RejectionReason, detail: string): LedgerRejection => ({ reason, detail });

export function isLedgerRejection(value: unknown): value is LedgerRejection {
  const r = value as LedgerRejection | null;
  return typeof r?.detail === 'string' && (REJECTION_REASONS as readonly string[]).includes(r?.reason as string);
}
