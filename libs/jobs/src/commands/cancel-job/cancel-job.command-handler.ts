import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { UnitOfWork } from '@tally/database';
import { callOffOutstanding, canMove, IllegalTransitionError, JobNotFoundError, MOVES } from '../../domain';
import { JobRepository } from '../../persistence/job.repository';
import { JobPayments } from '../../payments/job-payments';
import { CancelJobCommand, CancelOutcome } from './cancel-job.command';

@CommandHandler(CancelJobCommand)
export class CancelJobCommandHandler implements ICommandHandler<CancelJobCommand, CancelOutcome> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly jobs: JobRepository,
    private readonly payments: JobPayments,
  ) {}

  execute({ jobId, requester }: CancelJobCommand): Promise<CancelOutcome> {
    return this.uow.run(async () => {
      const job = await this.jobs.find(jobId, true);
      // Someone else's job is as unknown to a client as a job that does not exist.
      if (!job || (requester.role !== 'admin' && job.client_id !== requester.subject))
        throw new JobNotFoundError(jobId);
      // CANCELLED is terminal: the row is as the first cancel left it, so the answer is too.
      if (job.status === MOVES.cancel.to) return { job, replayed: true };
      if (!canMove(MOVES.cancel, job.status)) {
        throw new IllegalTransitionError(
          job.status,
          MOVES.cancel.to,
          `job ${jobId} already ended ${job.status}: only a job that has not settled can be cancelled`,
        );
      }
      const assignments = callOffOutstanding(await this.jobs.assignments(jobId));
      const cancelled = await this.payments.settle({
        kind: 'refund',
        job,
        assignments,
        to: MOVES.cancel.to,
        errorMessage: null,
        proverId: null,
        failedProvers: [],
      });
      return { job: cancelled, replayed: false };
    });
  }
}
