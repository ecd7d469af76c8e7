import { Command } from '@nestjs/cqrs';

export interface AssignmentTickResult {
  /** Transactions run (one per claimed batch). */
  batches: number;
  /** PENDING jobs claimed and looked at. */
  examined: number;
  /** Jobs moved to ASSIGNED. */
  assigned: number;
}

/**
 * One scheduler tick: claim PENDING jobs (HIGH, NORMAL, LOW, then oldest first) with
 * FOR UPDATE SKIP LOCKED, and assign each to `replicas` provers chosen by weighted
 * rendezvous on its network_job_id among the live, capable provers with room. Jobs without
 * enough candidates stay PENDING.
 */
export class AssignPendingJobsCommand extends Command<AssignmentTickResult> {
  /** `pendingKnown`: a job is known to wait (it was just submitted or requeued), so no probe first. */
  constructor(readonly pendingKnown = false) {
    super();
  }
}
