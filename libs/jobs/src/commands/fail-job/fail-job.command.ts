import { Command } from '@nestjs/cqrs';
import type { JobRow } from '../../persistence/job.repository';

/** Fails a job that has not settled (e.g. past its wall-clock TTL), with a full refund. */
export class FailJobCommand extends Command<JobRow | null> {
  constructor(
    readonly jobId: string,
    readonly reason: string,
    readonly proverId: string | null = null,
    /** Failed by the timeout sweep: the replicas still out ran out of time, and their provers may be slashed. */
    readonly timedOut = false,
  ) {
    super();
  }
}
