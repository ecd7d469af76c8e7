import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { OutboxWriter, UnitOfWork } from '@tally/database';
import { IllegalTransitionError, JOB_STARTED, JobNotFoundError } from '../../domain';
import { JobRepository, JobRow } from '../../persistence/job.repository';
import { StartJobCommand } from './start-job.command';

@CommandHandler(StartJobCommand)
export class StartJobCommandHandler implements ICommandHandler<StartJobCommand, JobRow> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly jobs: JobRepository,
    private readonly outbox: OutboxWriter,
  ) {}

  execute({ jobId, proverId }: StartJobCommand): Promise<JobRow> {
    return this.uow.run(async () => {
      const job = await this.jobs.find(jobId, true);
      if (!job) throw new JobNotFoundError(jobId);
      const mine = (await this.jobs.assignments(jobId)).find((a) => a.prover_id === proverId);
      // A job this prover holds no replica of is as unknown to it as one that does not exist (as on GET).
      if (!mine) throw new JobNotFoundError(jobId);
      if (mine.status === 'RUNNING' && job.status === 'RUNNING') return job; // a repeated start
      if (mine.status !== 'ASSIGNED' || (job.status !== 'ASSIGNED' && job.status !== 'RUNNING')) {
        throw new IllegalTransitionError(job.status, 'RUNNING');
      }
      await this.jobs.startReplica(jobId, proverId);
      if (job.status === 'RUNNING') return job;
      const running = await this.jobs.transition(jobId, 'RUNNING');
      await this.outbox.append(JOB_STARTED, jobId, { network_job_id: jobId, prover_id: proverId });
      return running;
    });
  }
}
