import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { UnitOfWork } from '@tally/database';
import { callOffOutstanding, canMove, MOVES, OUTSTANDING_REPLICA } from '../../domain';
import { JobRepository, JobRow } from '../../persistence/job.repository';
import { JobPayments } from '../../payments/job-payments';
import { FailJobCommand } from './fail-job.command';

@CommandHandler(FailJobCommand)
export class FailJobCommandHandler implements ICommandHandler<FailJobCommand, JobRow | null> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly jobs: JobRepository,
    private readonly payments: JobPayments,
  ) {}

  execute({ jobId, reason, proverId, timedOut }: FailJobCommand): Promise<JobRow | null> {
    return this.uow.run(async () => {
      const job = await this.jobs.find(jobId, true);
      if (!job || !canMove(MOVES.fail, job.status)) return null; // settled meanwhile
      const held = await this.jobs.assignments(jobId);
      // Replicas still out are called off, as on cancel: their provers hear of it at their
      // next heartbeat. They are the ones that ran out of time, so the failure is theirs.
      const assignments = callOffOutstanding(held);
      const outstanding = held.filter((a) => OUTSTANDING_REPLICA.includes(a.status)).map((a) => a.prover_id);
      return this.payments.settle({
        kind: 'refund',
        job,
        assignments,
        to: MOVES.fail.to,
        errorMessage: reason,
        proverId,
        failedProvers: outstanding,
        timedOut: timedOut ? outstanding : [],
      });
    });
  }
}
