import { BeforeApplicationShutdown, Optional } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { UnitOfWork } from '@tally/database';
import {
  Clock,
  DomainError,
  ErrorCode,
  GroupCommit,
  OperationsObserver,
  hashOf,
  InvalidRequestError,
  Settled,
} from '@tally/shared';
import { withinHold } from '@tally/ledger';
import {
  canMove,
  DECIDED,
  decideReplicas,
  IllegalTransitionError,
  JobNotFoundError,
  MOVES,
  OUTSTANDING_REPLICA,
  REPLICA_MOVES,
  type SettlementTerms,
} from '../../domain';
import { AssignmentRow, JobRepository, JobRow } from '../../persistence/job.repository';
import { JobPayments, Settlement } from '../../payments/job-payments';
import { ReportOutcome, ReportResultCommand, ResultReport } from './report-result.command';

/** A job of the batch as the reports so far have left it (in memory, written at the end). */
interface JobState {
  job: JobRow;
  assignments: AssignmentRow[];
  /** What it settles by, should it complete. */
  terms: SettlementTerms;
}

/**
 * Results arrive from many provers at once: the reports that arrive together are settled
 * in one transaction (group commit), their jobs row-locked in id order. Each report is
 * decided in turn against the state the earlier ones left (a replica's report can decide
 * its job for the next), so the batch answers exactly as the same reports one by one
 * would; a report refused (403, 409, 422) is refused alone.
 */
@CommandHandler(ReportResultCommand)
export class ReportResultCommandHandler
  implements ICommandHandler<ReportResultCommand, ReportOutcome>, BeforeApplicationShutdown
{
  private readonly batches = new GroupCommit<ReportResultCommand, ReportOutcome>((c) => this.reportAll(c), {
    inline: () => this.uow.active,
    onBatch: (size, waited) => this.observer?.groupCommitted('jobs.report', size, waited),
  });

  constructor(
    private readonly uow: UnitOfWork,
    private readonly jobs: JobRepository,
    private readonly payments: JobPayments,
    private readonly clock: Clock,
    @Optional() private readonly observer?: OperationsObserver,
  ) {}

  execute(command: ReportResultCommand): Promise<ReportOutcome> {
    return this.batches.submit(command);
  }

  private reportAll(commands: ReportResultCommand[]): Promise<Settled<ReportOutcome>[]> {
    return this.uow.run(async () => {
      const states = await this.jobs.lockWithAssignments([...new Set(commands.map((c) => c.jobId))]);
      // Read before the reports are decided (in memory, in turn): what each job would settle by.
      const terms = await this.payments.terms([...states.values()].map((s) => s.job));
      const changed = new Set<AssignmentRow>();
      const settlements: Settlement[] = [];
      const answers = commands.map((command): Settled<ReportOutcome> => {
        try {
          const state = states.get(command.jobId);
          return {
            value: this.report(command, state && { ...state, terms: terms.get(command.jobId)! }, changed, settlements),
          };
        } catch (error) {
          if (error instanceof DomainError) return { error };
          throw error;
        }
      });
      await this.jobs.saveAssignments([...changed]);
      await this.payments.write(settlements);
      return answers;
    });
  }

  /** Decides one report against its job's state, which it moves on (in memory). */
  private report(
    { jobId, proverId, report }: ReportResultCommand,
    state: JobState | undefined,
    changed: Set<AssignmentRow>,
    settlements: Settlement[],
  ): ReportOutcome {
    if (!state) throw new JobNotFoundError(jobId);
    const { job, assignments, terms } = state;
    const mine = assignments.find((a) => a.prover_id === proverId);
    // A job this prover holds no replica of is as unknown to it as one that does not exist (as on GET).
    if (!mine) throw new JobNotFoundError(jobId);
    const reportHash = hashOf({
      success: report.success,
      final_cost_micros: report.finalCostMicros?.toString() ?? null,
      error_message: report.errorMessage,
      result_hash: report.resultHash,
      // Only when sent: a report without metadata hashes as it did before metadata existed.
      ...(report.resultMetadata !== null && { result_metadata: report.resultMetadata }),
    });
    // The transition this report asks for, named in a refusal.
    const to = report.success ? MOVES.complete.to : MOVES.fail.to;
    if (mine.status === REPLICA_MOVES.report.to) {
      if (mine.report_hash !== reportHash) {
        throw new IllegalTransitionError(job.status, to, 'a different result was already reported');
      }
      return { ...outcomeOf(job, mine), replayed: true };
    }
    // A result is taken while the job could still complete on it, from a replica that runs.
    if (!canMove(MOVES.complete, job.status) || !canMove(REPLICA_MOVES.report, mine.status)) {
      throw new IllegalTransitionError(job.status, to, `cannot report a result for a ${job.status} job`);
    }
    this.checkReport(job, report);

    Object.assign(mine, {
      status: REPLICA_MOVES.report.to,
      success: report.success,
      final_cost_micros: report.finalCostMicros?.toString() ?? null,
      result_hash: report.resultHash,
      result_metadata: report.resultMetadata,
      error_message: report.errorMessage,
      report_hash: reportHash,
      reported_at: this.clock.now(),
    });
    changed.add(mine);
    const reports = assignments
      .filter((a) => a.status === REPLICA_MOVES.report.to)
      .map((a) => ({
        proverId: a.prover_id,
        success: a.success === true,
        finalCostMicros: a.final_cost_micros === null ? null : BigInt(a.final_cost_micros),
        resultHash: job.replicas === 1 ? 'single' : a.result_hash,
      }));
    const decision = decideReplicas(job.replicas, reports);
    if (decision.kind === 'waiting') return outcomeOf(job, mine);
    const [settlement] = this.payments.plan([
      decision.kind === 'failed'
        ? {
            kind: 'refund',
            job: { ...job },
            assignments,
            to: MOVES.fail.to,
            errorMessage: report.errorMessage ?? 'no majority of replicas agreed',
            proverId,
            failedProvers: decision.dissenters,
          }
        : {
            kind: 'complete',
            job: { ...job },
            assignments,
            winners: decision.majority,
            finalCost: decision.finalCostMicros,
            dissenters: decision.dissenters,
            terms,
          },
    ]);
    settlements.push(settlement);
    for (const a of assignments) {
      // Replicas still out when the job is decided are not needed any more: cancelled, so
      // their provers hear of it at their next heartbeat and stop.
      if (OUTSTANDING_REPLICA.includes(a.status)) Object.assign(a, { status: REPLICA_MOVES.callOff.to });
      if (a.reward_micros !== null || a.status === REPLICA_MOVES.callOff.to) changed.add(a);
    }
    // The job as the settlement leaves it, for the answers of later reports in this batch.
    const { row } = settlement;
    Object.assign(job, {
      status: row.to,
      final_cost_micros: row.finalCost?.toString() ?? null,
      refunded_micros: row.refunded.toString(),
      platform_fee_micros: row.platformFee?.toString() ?? job.platform_fee_micros,
      error_message: row.errorMessage,
    });
    return outcomeOf(job, mine);
  }

  /** A successful report must name a cost within the job's ceiling (DSE-013: nothing settles). */
  private checkReport(job: JobRow, report: ResultReport): void {
    if (!report.success) return;
    if (report.finalCostMicros === null) throw new InvalidRequestError('final_cost_micros is required on success');
    if (report.finalCostMicros > BigInt(job.max_cost_micros)) {
      throw new DomainError(ErrorCode.CostCeilingExceeded, `final cost exceeds max_cost_micros ${job.max_cost_micros}`);
    }
    // A metered job's cost is its total: at least what its usage was charged already.
    if (report.finalCostMicros < BigInt(job.metered_micros)) {
      throw new InvalidRequestError(
        `final_cost_micros is the job's total cost: at least the ${job.metered_micros} micros its usage was charged`,
        { field: 'final_cost_micros' },
      );
    }
    // The ledger's capture ceiling, checked before anything settles so the report is refused whole.
    if (!withinHold(report.finalCostMicros, BigInt(job.held_micros))) {
      throw new DomainError(ErrorCode.CostCeilingExceeded, `final cost exceeds the ${job.held_micros} micros held`);
    }
    if (job.replicas > 1 && !report.resultHash)
      throw new InvalidRequestError('result_hash is required for replicated jobs');
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.batches.idle();
  }
}

/** The answer to a report, derived from the job's state, so a repeat gets the same one. */
function outcomeOf(job: JobRow, mine: Pick<AssignmentRow, 'reward_micros'>): ReportOutcome {
  const settled = DECIDED.includes(job.status) ? 'COMPLETED' : job.status === 'FAILED' ? 'FAILED' : 'AWAITING_REPLICAS';
  return {
    network_job_id: job.network_job_id,
    outcome: settled,
    final_cost_micros: job.final_cost_micros,
    reward_micros: settled === 'COMPLETED' ? (mine.reward_micros ?? '0') : null,
    refunded_micros: job.refunded_micros,
  };
}
