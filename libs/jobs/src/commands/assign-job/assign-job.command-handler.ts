import { Optional } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { OutboxWriter, UnitOfWork } from '@tally/database';
import { InvalidRequestError } from '@tally/shared';
import { assertTransition, JobNotFoundError } from '../../domain';
import { JobRepository, JobRow } from '../../persistence/job.repository';
import { JobReceipts } from '../../settlement/job-receipts.port';
import { AssignJobCommand } from './assign-job.command';

@CommandHandler(AssignJobCommand)
export class AssignJobCommandHandler implements ICommandHandler<AssignJobCommand, JobRow> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly jobs: JobRepository,
    private readonly outbox: OutboxWriter,
    @Optional() private readonly receipts?: JobReceipts,
  ) {}

  execute({ jobId, proverIds }: AssignJobCommand): Promise<JobRow> {
    return this.uow.run(async () => {
      const job = await this.jobs.find(jobId, true);
      if (!job) throw new JobNotFoundError(jobId);
      assertTransition(job.status, 'ASSIGNED');
      if (new Set(proverIds).size !== proverIds.length || proverIds.length !== job.replicas) {
        throw new InvalidRequestError(`this job needs ${job.replicas} distinct prover(s)`);
      }
      await this.jobs.addAssignments(jobId, proverIds);
      const assigned = await this.jobs.transition(jobId, 'ASSIGNED');
      await this.receipts?.assigned(assigned, await this.jobs.assignments(jobId));
      await this.outbox.append('JobAssigned', jobId, { network_job_id: jobId, provers: proverIds });
      return assigned;
    });
  }
}
