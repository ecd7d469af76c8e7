import { DomainError, ErrorCode, ForbiddenError, MethodNotAllowedError, PayloadTooLargeError } from '@tally/shared';

/** The one place that turns a DSE code into an HTTP status (docs/architecture.md §6). */
export function statusForError(error: DomainError): number {
  const code: ErrorCode = error.code;
  switch (code) {
    case ErrorCode.InvalidRequest:
      if (error instanceof PayloadTooLargeError) return 413;
      return error instanceof MethodNotAllowedError ? 405 : 400;
    case ErrorCode.Unauthorized:
      return error instanceof ForbiddenError ? 403 : 401;
    case ErrorCode.JobNotFound:
    case ErrorCode.ProverNotFound:
    case ErrorCode.AccountNotFound:
    case ErrorCode.NotFound:
      return 404;
    case ErrorCode.VersionConflict:
    case ErrorCode.IdempotencyConflict:
    case ErrorCode.IllegalTransition:
      return 409;
    case ErrorCode.TransportFailure:
    case ErrorCode.Unavailable:
      return 503;
    case ErrorCode.Internal:
      return 500;
    case ErrorCode.InsufficientCredits:
      return 402;
    case ErrorCode.RateLimited:
      return 429;
    case ErrorCode.CostCeilingExceeded:
      return 422;
    default: {
      const unhandled: never = code;
      throw new Error(`no HTTP status for error code ${String(unhandled)}`);
    }
  }
}
