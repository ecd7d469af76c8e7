import type { SlashReason } from '@tally/ledger';
import type { AssignmentRow, JobRow } from '../persistence/job.repository';

/** A slash as a settlement tells it (receipt and event), micros as decimal strings. */
export interface SettlementSlash {
  prover_id: string;
  reason: SlashReason;
  transfer_id: string;
  slashed_micros: string;
  to_client_micros: string;
  to_platform_micros: string;
}

/**
 * Where a job's signed receipts are written: in the transaction of the transition they
 * record, with the job row locked, so a receipt is never lost, duplicated or out of order.
 * The receipts lib provides it (jobs does not depend on receipts); without it, no receipts.
 */
export abstract class JobReceipts {
  /** PENDING → ASSIGNED: each job's assignment receipt (one per assignment round), for a batch of jobs. */
  abstract assigned(
    jobs: { job: JobRow; assignments: AssignmentRow[] }[],
    /** The scorecards (version, score) the assignment saw; read in the transaction when absent. */
    scorecards?: Map<string, { version: string; score: string }>,
  ): Promise<void>;

  /**
   * Jobs settled (COMPLETED, FAILED or CANCELLED): for each, an execution receipt when it
   * left RUNNING, then the settlement receipt. `before` is the row as it was before
   * settling, `assignments` as they are now; `settlementTransferIds` are the settlement's
   * own transfers, posted right after this in the same transaction (the job's earlier
   * transfers are read from the journal). `slashes` are the provers' stakes it slashed (none: left out).
   */
  abstract settled(
    jobs: {
      before: JobRow;
      after: JobRow;
      assignments: AssignmentRow[];
      settlementTransferIds: string[];
      slashes?: SettlementSlash[];
    }[],
  ): Promise<void>;

  /** Which of these jobs have their settlement receipt recorded (half of the COMPLETED → AUDITED gate). */
  abstract withSettlementReceipt(jobIds: string[]): Promise<Set<string>>;
}
