import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import Decimal from 'decimal.js';
import { UnitOfWork } from '@tally/database';
import { DomainError, ErrorCode, InvalidRequestError } from '@tally/shared';
import { withinHold } from '@tally/ledger';
import { estimateCostMicros, parsePositiveDecimal, ServiceRegistry } from '@tally/services';
import { canMove, IllegalTransitionError, JobNotFoundError, METERING, REPLICA_MOVES } from '../../domain';
import { JobRepository } from '../../persistence/job.repository';
import { JobPayments } from '../../payments/job-payments';
import { ReportUsageCommand, UsageOutcome } from './report-usage.command';

/**
 * A usage report (metered payments), one transaction with the job row locked, so it takes
 * turns with the job's result, cancel and failure: a report the job is no longer RUNNING
 * for is refused, and what a report paid the settlement that follows counts as paid.
 */
@CommandHandler(ReportUsageCommand)
export class ReportUsageCommandHandler implements ICommandHandler<ReportUsageCommand, UsageOutcome> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly jobs: JobRepository,
    private readonly payments: JobPayments,
    private readonly registry: ServiceRegistry,
  ) {}

  execute({ jobId, proverId, units: given }: ReportUsageCommand): Promise<UsageOutcome> {
    const units = parsePositiveDecimal(given, 'units');
    return this.uow.run(async () => {
      const state = (await this.jobs.lockWithAssignments([jobId])).get(jobId);
      const mine = state?.assignments.find((a) => a.prover_id === proverId);
      // A job this prover holds no replica of is as unknown to it as one that does not exist (as on GET).
      if (!state || !mine) throw new JobNotFoundError(jobId);
      const { job } = state;
      // A job's usage is one prover's count: after a requeue another prover may finish the job, not meter it.
      if (job.metered_prover_id !== null && job.metered_prover_id !== proverId) {
        throw new IllegalTransitionError(
          job.status,
          job.status,
          `usage of this job was reported by another prover: only it reports the job's usage`,
        );
      }
      // Idempotent by the cumulative count: the last count again answers the same, whatever the job became since.
      if (job.metered_units !== null) {
        const order = new Decimal(units).cmp(job.metered_units);
        if (order === 0) return { job, replayed: true };
        if (order < 0) {
          throw new InvalidRequestError(
            `units is cumulative: ${job.metered_units} units were reported already, a count can only grow`,
            { field: 'units' },
          );
        }
      }
      if (job.service === null) {
        throw new InvalidRequestError('only a job of a service is metered: this job has no units to price', {
          field: 'units',
        });
      }
      if (job.replicas > 1) {
        throw new InvalidRequestError(
          'a replicated job is not metered: its cost is what its majority reports, known only at its result',
          { field: 'units' },
        );
      }
      if (!METERING.includes(job.status) || !canMove(REPLICA_MOVES.report, mine.status)) {
        throw new IllegalTransitionError(job.status, job.status, `usage is reported only while the job runs`);
      }
      const schedule = await this.registry.get(
        job.service,
        job.service_version === null ? undefined : Number(job.service_version),
      );
      const cost = estimateCostMicros({ units, replicas: 1, schedule });
      if (cost > BigInt(job.max_cost_micros)) {
        throw new DomainError(
          ErrorCode.CostCeilingExceeded,
          `${units} units cost ${cost} micros, more than max_cost_micros ${job.max_cost_micros}`,
        );
      }
      // The ledger's capture ceiling, checked before anything moves so the report is refused whole.
      if (!withinHold(cost, BigInt(job.held_micros))) {
        throw new DomainError(
          ErrorCode.CostCeilingExceeded,
          `${units} units cost ${cost} micros, more than the ${job.held_micros} micros held`,
        );
      }
      const terms = (await this.payments.terms([job])).get(jobId)!;
      const refund = job.metered_refund ?? schedule.meteredRefund;
      const { job: metered } = await this.payments.meter(job, proverId, units, cost, terms, refund);
      return { job: metered, replayed: false };
    });
  }
}
