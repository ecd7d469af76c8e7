/** Every error Tally returns carries one of these codes (docs/architecture.md §6). */
export enum ErrorCode {
  InvalidRequest = 'DSE-001',
  Unauthorized = 'DSE-002',
  JobNotFound = 'DSE-003',
  ProverNotFound = 'DSE-004',
  VersionConflict = 'DSE-005',
  TransportFailure = 'DSE-006',
  Internal = 'DSE-007',
  InsufficientCredits = 'DSE-008',
  IdempotencyConflict = 'DSE-009',
  IllegalTransition = 'DSE-010',
  AccountNotFound = 'DSE-011',
  RateLimited = 'DSE-012',
  CostCeilingExceeded = 'DSE-013',
  /** A dependency (the database, the broker) cannot be reached: nothing was applied, retry. */
  Unavailable = 'DSE-014',
  /** Something named in the request does not exist and has no code of its own (a route, a hold, a service). */
  NotFound = 'DSE-015',
}

/** Short human titles for problem+json `title`. */
export const ERROR_TITLES: Record<ErrorCode, string> = {
  [ErrorCode.InvalidRequest]: 'Invalid request',
  [ErrorCode.Unauthorized]: 'Unauthorized',
  [ErrorCode.JobNotFound]: 'Job not found',
  [ErrorCode.ProverNotFound]: 'Prover not found',
  [ErrorCode.VersionConflict]: 'Version conflict',
  [ErrorCode.TransportFailure]: 'Event transport delivery failure',
  [ErrorCode.Internal]: 'Internal error',
  [ErrorCode.InsufficientCredits]: 'Insufficient credits',
  [ErrorCode.IdempotencyConflict]: 'Idempotency key reused with a different request',
  [ErrorCode.IllegalTransition]: 'Illegal state transition',
  [ErrorCode.AccountNotFound]: 'Account not found',
  [ErrorCode.RateLimited]: 'Rate limited',
  [ErrorCode.CostCeilingExceeded]: 'Cost ceiling exceeded',
  [ErrorCode.Unavailable]: 'Service unavailable',
  [ErrorCode.NotFound]: 'Not found',
};
