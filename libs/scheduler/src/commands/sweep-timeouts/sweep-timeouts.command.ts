import { Command } from '@nestjs/cqrs';

export interface SweepResult {
  /** False when another replica was sweeping (this one did nothing). */
  swept: boolean;
  /** Provers marked offline by this sweep. */
  offline: string[];
  /** Jobs sent back to PENDING because their prover went away. */
  requeued: number;
  /** Jobs failed (full refund) because their prover went away once too often. */
  gaveUp: number;
  /** Jobs failed (full refund) past the wall-clock TTL. */
  timedOut: number;
}

/**
 * The periodic timeout sweep: provers silent past PROVER_LIVENESS_TTL_MS go offline and the
 * replicas they hold go through RequeueJobCommand (past SCHEDULER_MAX_ATTEMPTS the job fails
 * with a full refund); jobs ASSIGNED or RUNNING longer than JOB_WALL_CLOCK_TTL_MS since
 * assignment go through FailJobCommand.
 */
export class SweepTimeoutsCommand extends Command<SweepResult> {}
