import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { UnitOfWork } from '@tally/database';
import { canTransition } from '../../domain';
import { JobRepository, JobRow } from '../../persistence/job.repository';
import { JobSettler } from '../../settlement/job-settler';
import { FailJobCommand } from './fail-job.command';

@CommandHandler(FailJobCommand)
export class FailJobCommandHandler implements ICommandHandler<FailJobCommand, JobRow | null> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly jobs: JobRepository,
    private readonly settler: JobSettler,
  ) {}

  execute({ jobId, reason, proverId }: FailJobCommand): Promise<JobRow | null> {
    return this.uow.run(async () => {
      const job = await this.jobs.find(jobId, true);
      if (!job || !canTransition(job.status, 'FAILED')) return null; // settled meanwhile
      const assignments = await this.jobs.assignments(jobId);
      return this.settler.settle({
        kind: 'refund',
        job,
        assignments,
        to: 'FAILED',
        errorMessage: reason,
        proverId,
      });
    });
  }
}
