import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { OutboxWriter, UnitOfWork } from '@tally/database';
import { DECIDED, IllegalTransitionError, JobNotFoundError, MOVES } from '../../domain';
import { JOB_DISPUTED, type JobDisputedPayload } from '../../events/jobs.events';
import { JobRepository, type JobRow } from '../../persistence/job.repository';
import { DisputeJobCommand, DisputeOutcome } from './dispute-job.command';

@CommandHandler(DisputeJobCommand)
export class DisputeJobCommandHandler implements ICommandHandler<DisputeJobCommand, DisputeOutcome> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly jobs: JobRepository,
    private readonly outbox: OutboxWriter,
  ) {}

  execute({ jobId, requester, reason }: DisputeJobCommand): Promise<DisputeOutcome> {
    return this.uow.run(async () => {
      const job = await this.jobs.find(jobId, true);
      // Someone else's job is as unknown to a client as a job that does not exist.
      if (!job || job.client_id !== requester.subject) throw new JobNotFoundError(jobId);
      // Already disputed: the dispute stands as first raised, and a retry learns it.
      if (job.status === MOVES.dispute.to) return { job, replayed: true };
      // The statement decides by the database's clock, under the row lock the window's sweep also takes.
      const disputed = await this.jobs.openDispute(jobId, reason);
      if (!disputed) throw new IllegalTransitionError(job.status, MOVES.dispute.to, whyNot(job));
      await this.outbox.appendMany([
        {
          type: JOB_DISPUTED,
          partitionKey: jobId,
          payload: {
            network_job_id: jobId,
            status: 'DISPUTED',
            client_id: job.client_id,
            reason,
          } satisfies JobDisputedPayload,
        },
      ]);
      return { job: disputed, replayed: false };
    });
  }
}

function whyNot(job: JobRow): string {
  const id = job.network_job_id;
  if (!DECIDED.includes(job.status)) {
    return `job ${id} is ${job.status}: only a COMPLETED job can be disputed, within its dispute window`;
  }
  if (job.dispute_closes_at === null) return `job ${id} had no dispute window: its rewards were paid when it completed`;
  if (job.dispute_outcome !== null) return `job ${id}'s dispute was resolved already: ${job.dispute_outcome}`;
  return `the dispute window of job ${id} closed at ${new Date(job.dispute_closes_at).toISOString()}`;
}
