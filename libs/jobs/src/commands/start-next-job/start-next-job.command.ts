import { Command } from '@nestjs/cqrs';
import type { JobRow } from '../../persistence/job.repository';

/**
 * A prover takes its next job: the oldest replica assigned to it that has not started
 * moves to RUNNING (and the job, if this is its first replica to start). Null: none waits
 * (or the one that does is locked by a command in flight; a later poll gets it).
 */
export class StartNextJobCommand extends Command<JobRow | null> {
  constructor(readonly proverId: string) {
    super();
  }
}
