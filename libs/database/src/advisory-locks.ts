/**
 * Transaction-scoped advisory locks that more than one lib takes.
 *
 * Assignment: each scheduler batch holds it exclusively from its read of the candidates to
 * its commit, and so does an admin's assignment, so assigners never act on each other's
 * stale load. A change to what a batch reads about a prover that the prover is promised
 * takes effect at once (a drain, a new max_concurrency) takes it shared: the change waits
 * for the batch being written and is seen by every later one, and such changes do not wait
 * for each other.
 */
const ASSIGNMENT_LOCK = 0x7a11_5c4e;
export const LOCK_ASSIGNMENTS_SQL = `SELECT pg_advisory_xact_lock(${ASSIGNMENT_LOCK})`;
export const LOCK_ASSIGNMENTS_SHARED_SQL = `SELECT pg_advisory_xact_lock_shared(${ASSIGNMENT_LOCK})`;
