import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { UnitOfWork } from '@tally/database';
import { InvalidRequestError } from '@tally/shared';
import { IllegalTransitionError, JobNotFoundError, MOVES } from '../../domain';
import { JobRepository } from '../../persistence/job.repository';
import { DisputePayments } from '../../payments/dispute-payments';
import { ResolveDisputeCommand, ResolveOutcome } from './resolve-dispute.command';

@CommandHandler(ResolveDisputeCommand)
export class ResolveDisputeCommandHandler implements ICommandHandler<ResolveDisputeCommand, ResolveOutcome> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly jobs: JobRepository,
    private readonly disputes: DisputePayments,
  ) {}

  execute({ jobId, outcome, refundMicros }: ResolveDisputeCommand): Promise<ResolveOutcome> {
    return this.uow.run(async () => {
      const job = await this.jobs.find(jobId, true);
      if (!job) throw new JobNotFoundError(jobId);
      if (outcome === 'uphold' && refundMicros !== null) {
        throw new InvalidRequestError('refund_micros goes with outcome "refund" only', { field: 'refund_micros' });
      }
      const finalCost = BigInt(job.final_cost_micros ?? '0');
      const refund = outcome === 'refund' ? (refundMicros ?? finalCost) : null;
      // Resolved already: the same resolution answers as the first did; another one is refused.
      if (job.dispute_outcome !== null) {
        const same =
          job.dispute_outcome === outcome &&
          (refund === null ? job.dispute_refund_micros === null : job.dispute_refund_micros === refund.toString());
        if (same) return { job, replayed: true };
        throw new IllegalTransitionError(
          job.status,
          MOVES.resolve.to,
          `job ${jobId}'s dispute was resolved already: ${job.dispute_outcome}` +
            (job.dispute_refund_micros === null ? '' : ` with ${job.dispute_refund_micros} micros refunded`),
        );
      }
      if (job.status !== MOVES.resolve.from[0]) {
        throw new IllegalTransitionError(
          job.status,
          MOVES.resolve.to,
          `job ${jobId} is ${job.status}: only a DISPUTED job can be resolved`,
        );
      }
      if (refund !== null && refund > finalCost) {
        throw new InvalidRequestError(`refund_micros exceeds the job's final cost of ${finalCost} micros`, {
          field: 'refund_micros',
        });
      }
      const assignments = await this.jobs.assignments(jobId);
      const resolved = await this.disputes.resolve(job, assignments, outcome, refund ?? 0n);
      return { job: resolved, replayed: false };
    });
  }
}
