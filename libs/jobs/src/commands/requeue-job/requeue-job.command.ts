import { Command } from '@nestjs/cqrs';
import type { JobRow } from '../../persistence/job.repository';

/**
 * A prover holding the job went away (heartbeat timeout): the job goes back to PENDING for
 * another prover. A job that had started counts an attempt; past `maxAttempts` it fails
 * with a full refund instead.
 */
export class RequeueJobCommand extends Command<JobRow | null> {
  constructor(
    readonly jobId: string,
    readonly proverId: string,
    readonly maxAttempts: number,
    readonly reason = 'prover went offline',
  ) {
    super();
  }
}
