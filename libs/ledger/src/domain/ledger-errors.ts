import { DomainError, ErrorCode, NotFoundError } from '@tally/shared';

/**
 * Turns a rejected posting (its DSE code, detail and HTTP status, as the engine decided
 * them) into a domain error: an invalid request that names nothing that exists (an
 * unknown hold) keeps its 404.
 */
export function postingError(error: { code: string; detail: string }, status?: number): DomainError {
  const code = Object.values(ErrorCode).find((c) => c === error.code) ?? ErrorCode.Internal;
  // Records written before DSE-015 existed stored an unknown hold as DSE-001 with its 404.
  if (code === ErrorCode.NotFound || (code === ErrorCode.InvalidRequest && status === 404))
    return new NotFoundError(error.detail);
  return new DomainError(code, error.detail);
}

/** DSE-009's detail wherever an Idempotency-Key comes back with another request. */
export const KEY_REUSED = 'this Idempotency-Key was used with a different request';

export class AccountNotFoundError extends DomainError {
  constructor(kind: string, owner: string) {
    super(ErrorCode.AccountNotFound, `no such account: ${kind}/${owner}`, { account_type: kind, account_id: owner });
  }
}
