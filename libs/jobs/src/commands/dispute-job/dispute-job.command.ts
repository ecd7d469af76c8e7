import { Command } from '@nestjs/cqrs';
import type { Principal } from '@tally/auth';
import type { JobRow } from '../../persistence/job.repository';

/** What a dispute leaves: the job DISPUTED, and whether it was already (a repeat answers as the first). */
export interface DisputeOutcome {
  job: JobRow;
  replayed: boolean;
}

/** A client disputes its COMPLETED job within the job's dispute window: its rewards stay pending. */
export class DisputeJobCommand extends Command<DisputeOutcome> {
  constructor(
    readonly jobId: string,
    readonly requester: Principal,
    readonly reason: string,
  ) {
    super();
  }
}
