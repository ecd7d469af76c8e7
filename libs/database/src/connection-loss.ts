/**
 * Postgres SQLSTATEs that mean the server, not the statement, failed: class 08 (connection
 * exception), the server shutting down or starting up (57P01 admin_shutdown, 57P02
 * crash_shutdown, 57P03 cannot_connect_now), and too many connections (53300).
 */
const SERVER_GONE = /^(08...|57P0[123]|53300)$/;

/** Socket errors of a connection to the database that was refused, reset or timed out. */
const SOCKET_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * What `pg` and its pool say when a connection is lost or cannot be had: a connection that
 * ended under a query, a client that is no longer queryable, a pool that timed out waiting
 * for a connection or that was ended (shutdown). And TypeORM's answer to a transaction whose
 * connection failed between two statements: its query runner releases itself on the
 * connection's `error` event, so the next statement (often the COMMIT, which then was never
 * sent) finds it released.
 */
const DRIVER_MESSAGES = [
  /^Connection terminated/,
  /^Client has encountered a connection error and is not queryable$/,
  /^timeout exceeded when trying to connect$/,
  /^Cannot use a pool after calling end on the pool$/,
  /^Client was closed and is not queryable$/,
  /^Query runner already released\. Cannot run queries anymore\.$/,
];

/**
 * Whether `error` says the database could not be reached (down, restarting, refusing or
 * dropping connections) rather than that a statement was wrong. Such an error is the
 * outage's, not the request's: it answers 503 with Retry-After, and a background loop
 * that meets it backs off and tries again. Looks through TypeORM's wrapper
 * (`driverError`) and `cause` chains.
 */
export function isConnectionLoss(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const e = current as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown };
    if (typeof e.code === 'string' && (SERVER_GONE.test(e.code) || SOCKET_ERRORS.has(e.code))) return true;
    if (typeof e.message === 'string' && DRIVER_MESSAGES.some((m) => m.test(e.message as string))) return true;
    current = e.driverError ?? e.cause;
  }
  return false;
}
