/**
 * Transaction-scoped advisory locks that more than one lib takes. Assignment: held by each
 * scheduler batch from its read of the candidates to its commit, and by anything that must
 * not interleave with one (an admin's assignment, a drain), so a batch never acts on a
 * prover's state or load that changed after it read them.
 */
export const ASSIGNMENT_LOCK = 0x7a11_5c4e;
export const LOCK_ASSIGNMENTS_SQL = `SELECT pg_advisory_xact_lock(${ASSIGNMENT_LOCK})`;
