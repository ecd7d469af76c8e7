import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@tally/database';
import { AssignmentFence } from '@tally/provers';

/**
 * The assignment lock, a transaction-scoped advisory lock. Each scheduler batch holds it
 * exclusively from its read of the candidates to its commit, and so does an admin's
 * assignment, so assigners never act on each other's stale load. A change to what a batch
 * reads about a prover that the prover is promised takes effect at once (a drain, a new
 * max_concurrency: the provers lib's AssignmentFence) takes it shared: the change waits for
 * the batch being written and is seen by every later one, and such changes do not wait
 * for each other.
 */
const ASSIGNMENT_LOCK = 0x7a11_5c4e;
const LOCK_ASSIGNMENTS_SQL = `SELECT pg_advisory_xact_lock(${ASSIGNMENT_LOCK})`;
const LOCK_ASSIGNMENTS_SHARED_SQL = `SELECT pg_advisory_xact_lock_shared(${ASSIGNMENT_LOCK})`;

@Injectable()
export class AssignmentLock extends AssignmentFence {
  constructor(private readonly uow: UnitOfWork) {
    super();
  }

  /** Waits until no other assigner, drain or registration is being written; held until the transaction ends. */
  async lockExclusive(): Promise<void> {
    await this.uow.prepared(LOCK_ASSIGNMENTS_SQL);
  }

  /** The provers lib's fence: waits for an assignment batch being written. */
  async waitForAssigners(): Promise<void> {
    await this.uow.prepared(LOCK_ASSIGNMENTS_SHARED_SQL);
  }
}
