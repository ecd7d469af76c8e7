import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { UnitOfWork } from '@tally/database';
import { DomainError, ErrorCode, ForbiddenError, hashOf, InvalidRequestError } from '@tally/shared';
import { decideReplicas, IllegalTransitionError, JobNotFoundError } from '../../domain';
import { AssignmentRow, JobRepository, JobRow } from '../../persistence/job.repository';
import { JobSettler } from '../../settlement/job-settler';
import { ReportOutcome, ReportResultCommand, ResultReport } from './report-result.command';

@CommandHandler(ReportResultCommand)
export class ReportResultCommandHandler implements ICommandHandler<ReportResultCommand, ReportOutcome> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly jobs: JobRepository,
    private readonly settler: JobSettler,
  ) {}

  execute({ jobId, proverId, report }: ReportResultCommand): Promise<ReportOutcome> {
    return this.uow.run(async () => {
      const job = await this.jobs.find(jobId, true);
      if (!job) throw new JobNotFoundError(jobId);
      const assignments = await this.jobs.assignments(jobId);
      const mine = assignments.find((a) => a.prover_id === proverId);
      if (!mine) throw new ForbiddenError('only the assigned prover may report this job');
      const reportHash = hashOf({
        success: report.success,
        final_cost_micros: report.finalCostMicros?.toString() ?? null,
        error_message: report.errorMessage,
        result_hash: report.resultHash,
      });
      if (mine.status === 'REPORTED') {
        if (mine.report_hash !== reportHash) {
          throw new IllegalTransitionError(job.status, job.status, 'a different result was already reported');
        }
        return outcomeOf(job, mine);
      }
      if (job.status !== 'RUNNING' || mine.status !== 'RUNNING') {
        throw new IllegalTransitionError(job.status, 'COMPLETED', `cannot report a result for a ${job.status} job`);
      }
      this.checkReport(job, report);

      await this.jobs.updateAssignment(jobId, proverId, {
        status: 'REPORTED',
        success: report.success,
        final_cost_micros: report.finalCostMicros?.toString() ?? null,
        result_hash: report.resultHash,
        error_message: report.errorMessage,
        report_hash: reportHash,
        reported_at: new Date(),
      });
      const reports = [...assignments.filter((a) => a.status === 'REPORTED'), { ...mine, ...toRow(report) }].map(
        (a) => ({
          proverId: a.prover_id,
          success: a.success === true,
          finalCostMicros: a.final_cost_micros === null ? null : BigInt(a.final_cost_micros),
          resultHash: job.replicas === 1 ? 'single' : a.result_hash,
        }),
      );
      const decision = decideReplicas(job.replicas, reports);
      if (decision.kind === 'waiting') return outcomeOf(job, mine);
      if (decision.kind === 'failed') {
        const failed = await this.settler.refund(
          job,
          'FAILED',
          report.errorMessage ?? 'no majority of replicas agreed',
          proverId,
        );
        return outcomeOf(failed, mine);
      }
      const { job: done, perProver } = await this.settler.complete(
        job,
        decision.majority,
        decision.finalCostMicros,
        decision.dissenters,
      );
      return outcomeOf(done, {
        ...mine,
        reward_micros: decision.majority.includes(proverId) ? perProver.toString() : null,
      });
    });
  }

  /** A successful report must name a cost within the job's ceiling (DSE-013: nothing settles). */
  private checkReport(job: JobRow, report: ResultReport): void {
    if (!report.success) return;
    if (report.finalCostMicros === null) throw new InvalidRequestError('final_cost_micros is required on success');
    if (report.finalCostMicros > BigInt(job.max_cost_micros)) {
      throw new DomainError(ErrorCode.CostCeilingExceeded, `final cost exceeds max_cost_micros ${job.max_cost_micros}`);
    }
    if (report.finalCostMicros > BigInt(job.held_micros)) {
      throw new DomainError(ErrorCode.CostCeilingExceeded, `final cost exceeds the ${job.held_micros} micros held`);
    }
    if (job.replicas > 1 && !report.resultHash)
      throw new InvalidRequestError('result_hash is required for replicated jobs');
  }
}

function toRow(r: ResultReport): Partial<AssignmentRow> {
  return {
    success: r.success,
    final_cost_micros: r.finalCostMicros?.toString() ?? null,
    result_hash: r.resultHash,
    status: 'REPORTED',
  };
}

/** The answer to a report, derived from what is stored, so a repeat gets the same one. */
function outcomeOf(job: JobRow, mine: Pick<AssignmentRow, 'reward_micros'>): ReportOutcome {
  const settled =
    job.status === 'COMPLETED' || job.status === 'AUDITED'
      ? 'COMPLETED'
      : job.status === 'FAILED'
        ? 'FAILED'
        : 'AWAITING_REPLICAS';
  return {
    network_job_id: job.network_job_id,
    outcome: settled,
    final_cost_micros: job.final_cost_micros,
    reward_micros: settled === 'COMPLETED' ? (mine.reward_micros ?? '0') : null,
    refunded_micros: job.refunded_micros,
  };
}
