import { Command } from '@nestjs/cqrs';
import type { JobRow } from '../../persistence/job.repository';

/** The assigned prover starts its replica: ASSIGNED → RUNNING (the job runs once any replica runs). */
export class StartJobCommand extends Command<JobRow> {
  constructor(
    readonly jobId: string,
    readonly proverId: string,
  ) {
    super();
  }
}
