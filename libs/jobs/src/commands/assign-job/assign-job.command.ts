import { Command } from '@nestjs/cqrs';
import type { JobRow } from '../../persistence/job.repository';

/** PENDING → ASSIGNED to as many distinct provers as the job has replicas (the scheduler's command). */
export class AssignJobCommand extends Command<JobRow> {
  constructor(
    readonly jobId: string,
    readonly proverIds: string[],
  ) {
    super();
  }
}
