import { Command } from '@nestjs/cqrs';
import type { JobRow } from '../../persistence/job.repository';

/** What a usage report leaves: the job as it now stands, and whether this very count had been reported before. */
export interface UsageOutcome {
  job: JobRow;
  replayed: boolean;
}

/**
 * The prover running a metered job reports the cumulative units it has used: the cost of
 * the new ones is captured from the job's hold and its share paid to the prover at once.
 */
export class ReportUsageCommand extends Command<UsageOutcome> {
  constructor(
    readonly jobId: string,
    readonly proverId: string,
    /** The cumulative units, a decimal string as at submit. */
    readonly units: string,
  ) {
    super();
  }
}
