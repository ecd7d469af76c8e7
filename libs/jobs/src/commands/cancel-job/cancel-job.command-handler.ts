import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { UnitOfWork } from '@tally/database';
import { assertTransition, JobNotFoundError } from '../../domain';
import { JobRepository, JobRow } from '../../persistence/job.repository';
import { JobSettler } from '../../settlement/job-settler';
import { CancelJobCommand } from './cancel-job.command';

@CommandHandler(CancelJobCommand)
export class CancelJobCommandHandler implements ICommandHandler<CancelJobCommand, JobRow> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly jobs: JobRepository,
    private readonly settler: JobSettler,
  ) {}

  execute({ jobId, requester }: CancelJobCommand): Promise<JobRow> {
    return this.uow.run(async () => {
      const job = await this.jobs.find(jobId, true);
      // Someone else's job is as unknown to a client as a job that does not exist.
      if (!job || (requester.role !== 'admin' && job.client_id !== requester.subject))
        throw new JobNotFoundError(jobId);
      assertTransition(job.status, 'CANCELLED');
      const assignments = (await this.jobs.assignments(jobId)).map((a) =>
        a.status === 'REPORTED' ? a : { ...a, status: 'CANCELLED' as const },
      );
      return this.settler.settle({
        kind: 'refund',
        job,
        assignments,
        to: 'CANCELLED',
        errorMessage: null,
        proverId: null,
        failedProvers: [],
      });
    });
  }
}
