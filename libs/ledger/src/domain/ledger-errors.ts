import { DomainError, ErrorCode, NotFoundError } from '@tally/shared';
import type { LedgerRejection, RejectionReason } from './ledger-rejection';
import type { PostingResult } from './transfer-view';

/** The DSE code each rejection answers with (its HTTP status follows from the code, in the API). */
const REJECTION_CODES: Record<RejectionReason, ErrorCode> = {
  unbalanced: ErrorCode.InvalidRequest,
  'insufficient-credits': ErrorCode.InsufficientCredits,
  'unknown-account': ErrorCode.AccountNotFound,
  'unknown-hold': ErrorCode.NotFound,
  'hold-not-open': ErrorCode.IllegalTransition,
  'hold-expired': ErrorCode.IllegalTransition,
  'capture-exceeds-hold': ErrorCode.CostCeilingExceeded,
  'beyond-int64': ErrorCode.InvalidRequest,
  'import-out-of-order': ErrorCode.InvalidRequest,
  'id-already-used': ErrorCode.IdempotencyConflict,
  'stake-account': ErrorCode.InvalidRequest,
  linked_event_failed: ErrorCode.IllegalTransition,
  linked_event_chain_open: ErrorCode.InvalidRequest,
  'reserved-account': ErrorCode.InvalidRequest,
};

/** The DSE code a rejection answers with. */
export const rejectionCode = (r: LedgerRejection): ErrorCode => REJECTION_CODES[r.reason];

/** A rejection as the domain error it leaves the service as. */
export function rejectionError(r: LedgerRejection): DomainError {
  const code = rejectionCode(r);
  return code === ErrorCode.NotFound ? new NotFoundError(r.detail) : new DomainError(code, r.detail);
}

/** DSE-009's detail wherever an Idempotency-Key comes back with another request. */
export const KEY_REUSED = 'this Idempotency-Key was used with a different request';

/** A posting that did not post (refused, or its key used with another request) as its domain error. */
export function postingError(result: Exclude<PostingResult, { transfer: unknown }>): DomainError {
  return 'rejection' in result
    ? rejectionError(result.rejection)
    : new DomainError(ErrorCode.IdempotencyConflict, KEY_REUSED);
}

export class AccountNotFoundError extends DomainError {
  constructor(kind: string, owner: string) {
    super(ErrorCode.AccountNotFound, `no such account: ${kind}/${owner}`, { account_type: kind, account_id: owner });
  }
}
