import { Command } from '@nestjs/cqrs';
import type { DisputeOutcome, JobRow } from '../../persistence/job.repository';

/** What a resolution leaves: the job COMPLETED again, and whether this resolution had been made before. */
export interface ResolveOutcome {
  job: JobRow;
  replayed: boolean;
}

/**
 * An admin resolves a DISPUTED job: `uphold` releases its pending rewards; `refund` voids
 * them, refunds the client `refundMicros` (null: the whole final cost) and slashes the
 * provers of the accepted result.
 */
export class ResolveDisputeCommand extends Command<ResolveOutcome> {
  constructor(
    readonly jobId: string,
    readonly outcome: DisputeOutcome,
    readonly refundMicros: bigint | null,
  ) {
    super();
  }
}
