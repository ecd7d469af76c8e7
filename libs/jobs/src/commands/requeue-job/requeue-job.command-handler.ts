import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { OutboxWriter, UnitOfWork } from '@tally/database';
import { JobRepository, JobRow } from '../../persistence/job.repository';
import { JobSettler } from '../../settlement/job-settler';
import { RequeueJobCommand } from './requeue-job.command';

@CommandHandler(RequeueJobCommand)
export class RequeueJobCommandHandler implements ICommandHandler<RequeueJobCommand, JobRow | null> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly jobs: JobRepository,
    private readonly settler: JobSettler,
    private readonly outbox: OutboxWriter,
  ) {}

  execute({ jobId, proverId, maxAttempts, reason }: RequeueJobCommand): Promise<JobRow | null> {
    return this.uow.run(async () => {
      const job = await this.jobs.find(jobId, true);
      if (!job || (job.status !== 'ASSIGNED' && job.status !== 'RUNNING')) return null; // settled meanwhile
      const assignments = await this.jobs.assignments(jobId);
      if (!assignments.some((a) => a.prover_id === proverId && a.status !== 'REPORTED')) return null;
      const attempts = job.attempts + (job.status === 'RUNNING' ? 1 : 0);
      if (attempts >= maxAttempts) {
        return this.settler.settle({
          kind: 'refund',
          job,
          // Replicas still out are called off: their provers hear of it at their next heartbeat.
          assignments: assignments.map((a) => (a.status === 'REPORTED' ? a : { ...a, status: 'CANCELLED' as const })),
          to: 'FAILED',
          errorMessage: `${reason}; gave up after ${attempts} attempt(s)`,
          proverId,
          failedProvers: [proverId],
        });
      }
      // Every replica starts again: the assignment is redone as a whole.
      await this.jobs.removeAssignments(jobId);
      const requeued = await this.jobs.transition(jobId, 'PENDING', { attempts, assigned_at: null, started_at: null });
      await this.outbox.append('JobRequeued', jobId, { network_job_id: jobId, prover_id: proverId, reason, attempts });
      return requeued;
    });
  }
}
