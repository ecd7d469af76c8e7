import { Optional } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { OutboxWriter, UnitOfWork } from '@tally/database';
import { InvalidRequestError } from '@tally/shared';
import { assertTransition, JobNotFoundError } from '../../domain';
import { JobRepository, JobRow } from '../../persistence/job.repository';
import { JobReceipts } from '../../settlement/job-receipts.port';
import { AssignJobCommand, AssignJobsCommand } from './assign-job.command';

@CommandHandler(AssignJobsCommand)
export class AssignJobsCommandHandler implements ICommandHandler<AssignJobsCommand, JobRow[]> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly jobs: JobRepository,
    private readonly outbox: OutboxWriter,
    @Optional() private readonly receipts?: JobReceipts,
  ) {}

  execute({ assignments }: AssignJobsCommand): Promise<JobRow[]> {
    return this.uow.run(async () => {
      if (assignments.length === 0) return [];
      const ids = assignments.map((a) => a.jobId);
      if (new Set(ids).size !== ids.length) throw new InvalidRequestError('a job can be assigned once per batch');
      const found = new Map((await this.jobs.findMany(ids)).map((j) => [j.network_job_id, j]));
      for (const { jobId, proverIds } of assignments) {
        const job = found.get(jobId);
        if (!job) throw new JobNotFoundError(jobId);
        assertTransition(job.status, 'ASSIGNED');
        if (new Set(proverIds).size !== proverIds.length || proverIds.length !== job.replicas) {
          throw new InvalidRequestError(`this job needs ${job.replicas} distinct prover(s)`);
        }
      }
      await this.jobs.addAssignments(assignments);
      const assigned = new Map((await this.jobs.transitionMany(ids, 'ASSIGNED')).map((j) => [j.network_job_id, j]));
      const rows = await this.jobs.assignmentsOf(ids);
      await this.receipts?.assigned(ids.map((id) => ({ job: assigned.get(id)!, assignments: rows.get(id)! })));
      await this.outbox.appendMany(
        assignments.map((a) => ({
          type: 'JobAssigned',
          partitionKey: a.jobId,
          payload: { network_job_id: a.jobId, provers: a.proverIds },
        })),
      );
      return ids.map((id) => assigned.get(id)!);
    });
  }
}

@CommandHandler(AssignJobCommand)
export class AssignJobCommandHandler implements ICommandHandler<AssignJobCommand, JobRow> {
  constructor(private readonly batch: AssignJobsCommandHandler) {}

  async execute({ jobId, proverIds }: AssignJobCommand): Promise<JobRow> {
    const [job] = await this.batch.execute(new AssignJobsCommand([{ jobId, proverIds }]));
    return job;
  }
}
