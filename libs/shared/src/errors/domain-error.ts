import { ErrorCode } from './error-code';

/**
 * Base of every error domain code throws. It carries a DSE code and optional
 * machine-readable details; the HTTP layer alone decides the status.
 */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidRequestError extends DomainError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(ErrorCode.InvalidRequest, message, details);
  }
}

/** DSE-001 for a body over the size limit; mapped to 413 instead of 400. */
export class PayloadTooLargeError extends DomainError {
  constructor(message = 'request body is too large') {
    super(ErrorCode.InvalidRequest, message);
  }
}

/** DSE-002 when the caller is not authenticated (401). */
export class UnauthenticatedError extends DomainError {
  constructor(message = 'a valid API key is required') {
    super(ErrorCode.Unauthorized, message);
  }
}

/** DSE-002 when the caller is authenticated but not allowed (403). */
export class ForbiddenError extends DomainError {
  constructor(message = 'this key may not perform this action') {
    super(ErrorCode.Unauthorized, message);
  }
}

/** DSE-012, with the number of seconds after which a retry may succeed. */
export class RateLimitedError extends DomainError {
  constructor(readonly retryAfterSeconds: number) {
    super(ErrorCode.RateLimited, 'too many requests for this key', { retry_after_seconds: retryAfterSeconds });
  }
}

/** DSE-015 for something that does not exist and has no code of its own (a route, a transfer, a hold); 404. */
export class NotFoundError extends DomainError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(ErrorCode.NotFound, message, details);
  }
}

/**
 * DSE-014 when a dependency cannot be reached (the database is down, restarting or refusing
 * connections): the request was not applied, or is resolved by replaying its idempotency
 * key; a retry after `retryAfterSeconds` may succeed.
 */
export class UnavailableError extends DomainError {
  constructor(
    readonly dependency: string,
    readonly retryAfterSeconds = 1,
  ) {
    super(ErrorCode.Unavailable, `the ${dependency} is unavailable; retry shortly`, {
      retry_after_seconds: retryAfterSeconds,
    });
  }
}

export class RouteNotFoundError extends NotFoundError {
  constructor(method: string, path: string) {
    super(`no route ${method} ${path}`);
  }
}

/** DSE-001 for a path that exists under other methods; 405, with them in `Allow`. */
export class MethodNotAllowedError extends DomainError {
  constructor(
    method: string,
    path: string,
    readonly allowed: string[],
  ) {
    super(ErrorCode.InvalidRequest, `${path} takes ${allowed.join(', ')}, not ${method}`);
  }
}
