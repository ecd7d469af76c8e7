import { Command } from '@nestjs/cqrs';

export interface ResultReport {
  success: boolean;
  finalCostMicros: bigint | null;
  errorMessage: string | null;
  resultHash: string | null;
  /** The service's result fields (at most 64 KB of canonical JSON), kept with the replica's result. */
  resultMetadata: Record<string, unknown> | null;
}

/** What a report settled: the same report repeated gets the same answer. */
export interface ReportOutcome {
  network_job_id: string;
  outcome: 'COMPLETED' | 'FAILED' | 'AWAITING_REPLICAS';
  final_cost_micros: string | null;
  reward_micros: string | null;
  refunded_micros: string | null;
  /** This very report had been received before (the answer is the one it got then). */
  replayed?: true;
}

/** An assigned prover reports its result; the job settles when the result decides it. */
export class ReportResultCommand extends Command<ReportOutcome> {
  constructor(
    readonly jobId: string,
    readonly proverId: string,
    readonly report: ResultReport,
  ) {
    super();
  }
}
