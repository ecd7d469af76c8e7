import { DomainError, ErrorCode } from '@tally/shared';

/** Turns a rejected posting (its DSE code and detail, as the database recorded it) into a domain error. */
export function postingError(error: { code: string; detail: string }): DomainError {
  const code = Object.values(ErrorCode).find((c) => c === error.code) ?? ErrorCode.Internal;
  return new DomainError(code, error.detail);
}

export class AccountNotFoundError extends DomainError {
  constructor(kind: string, owner: string) {
    super(ErrorCode.AccountNotFound, `no such account: ${kind}/${owner}`, { account_type: kind, account_id: owner });
  }
}
