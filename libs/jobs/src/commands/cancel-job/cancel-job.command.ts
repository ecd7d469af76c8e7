import { Command } from '@nestjs/cqrs';
import type { JobRow } from '../../persistence/job.repository';

/** A cancel's outcome: the job as the cancel left it; `replayed` when an earlier cancel had. */
export interface CancelOutcome {
  job: JobRow;
  replayed: boolean;
}

/**
 * The owning client (or an admin) cancels a job that has not settled: a full refund. A
 * cancel of a job already CANCELLED is answered as the cancel that did it (a retry whose
 * first answer was lost learns that it succeeded); one that ended otherwise is DSE-010.
 */
export class CancelJobCommand extends Command<CancelOutcome> {
  constructor(
    readonly jobId: string,
    readonly requester: { role: string; subject: string },
  ) {
    super();
  }
}
