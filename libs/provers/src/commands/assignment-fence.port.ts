/**
 * Waits for any assignment batch being written, in the caller's transaction, and keeps
 * later batches waiting until it commits: a change to what an assigner reads about a
 * prover that the prover is promised takes effect at once (a drain, a lower
 * max_concurrency) is seen by every batch after it answers. The scheduler lib provides it
 * (it owns the assignment lock; provers does not depend on it). Without it, nothing waits.
 */
export abstract class AssignmentFence {
  abstract waitForAssigners(): Promise<void>;
}
