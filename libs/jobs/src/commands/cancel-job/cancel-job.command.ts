import { Command } from '@nestjs/cqrs';
import type { JobRow } from '../../persistence/job.repository';

/** The owning client (or an admin) cancels a job that has not settled: a full refund. */
export class CancelJobCommand extends Command<JobRow> {
  constructor(
    readonly jobId: string,
    readonly requester: { role: string; subject: string },
  ) {
    super();
  }
}
