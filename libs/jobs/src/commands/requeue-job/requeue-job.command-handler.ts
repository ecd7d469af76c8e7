import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { OutboxWriter, UnitOfWork } from '@tally/database';
import { callOffOutstanding, canMove, MOVES, OUTSTANDING_REPLICA } from '../../domain';
import { JOB_REQUEUED, type JobRequeuedPayload } from '../../events/jobs.events';
import { JobRepository, JobRow } from '../../persistence/job.repository';
import { JobPayments } from '../../payments/job-payments';
import { RequeueJobCommand } from './requeue-job.command';

@CommandHandler(RequeueJobCommand)
export class RequeueJobCommandHandler implements ICommandHandler<RequeueJobCommand, JobRow | null> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly jobs: JobRepository,
    private readonly payments: JobPayments,
    private readonly outbox: OutboxWriter,
  ) {}

  execute({ jobId, proverId, maxAttempts, reason }: RequeueJobCommand): Promise<JobRow | null> {
    return this.uow.run(async () => {
      const job = await this.jobs.find(jobId, true);
      if (!job || !canMove(MOVES.requeue, job.status)) return null; // settled meanwhile
      const assignments = await this.jobs.assignments(jobId);
      // The prover must still hold a replica (one it reported is done with).
      if (!assignments.some((a) => a.prover_id === proverId && OUTSTANDING_REPLICA.includes(a.status))) return null;
      // A job that had started counts an attempt.
      const attempts = job.attempts + (job.status === MOVES.start.to ? 1 : 0);
      if (attempts >= maxAttempts) {
        return this.payments.settle({
          kind: 'refund',
          job,
          // Replicas still out are called off: their provers hear of it at their next heartbeat.
          assignments: callOffOutstanding(assignments),
          to: MOVES.fail.to,
          errorMessage: `${reason}; gave up after ${attempts} attempt(s)`,
          proverId,
          failedProvers: [proverId],
          // It went silent holding the job: slashed by the service's slash_timeout_bps.
          timedOut: [proverId],
        });
      }
      // Every replica starts again: the assignment is redone as a whole.
      await this.jobs.removeAssignments(jobId);
      const requeued = await this.jobs.transition(jobId, MOVES.requeue, {
        attempts,
        assigned_at: null,
        started_at: null,
      });
      const payload: JobRequeuedPayload = { network_job_id: jobId, prover_id: proverId, reason, attempts };
      await this.outbox.append(JOB_REQUEUED, jobId, payload);
      return requeued;
    });
  }
}
