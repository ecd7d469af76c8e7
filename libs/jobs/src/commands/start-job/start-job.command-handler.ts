import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { OutboxWriter, UnitOfWork } from '@tally/database';
import { canMove, IllegalTransitionError, IN_FLIGHT, JobNotFoundError, MOVES, REPLICA_MOVES } from '../../domain';
import { JOB_STARTED, type JobStartedPayload } from '../../events/jobs.events';
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
      const { start } = MOVES;
      if (mine.status === REPLICA_MOVES.start.to && job.status === start.to) return job; // a repeated start
      if (!canMove(REPLICA_MOVES.start, mine.status) || !IN_FLIGHT.includes(job.status)) {
        throw new IllegalTransitionError(job.status, start.to);
      }
      await this.jobs.startReplica(jobId, proverId);
      // A later replica's start: the job is running already.
      if (!canMove(start, job.status)) return job;
      const running = await this.jobs.transition(jobId, start);
      const payload: JobStartedPayload = { network_job_id: jobId, prover_id: proverId };
      await this.outbox.append(JOB_STARTED, jobId, payload);
      return running;
    });
  }
}
