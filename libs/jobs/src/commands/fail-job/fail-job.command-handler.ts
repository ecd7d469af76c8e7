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
      const held = await this.jobs.assignments(jobId);
      // Replicas still out are called off, as on cancel: their provers hear of it at their
      // next heartbeat. They are the ones that ran out of time, so the failure is theirs.
      const assignments = held.map((a) => (a.status === 'REPORTED' ? a : { ...a, status: 'CANCELLED' as const }));
      return this.settler.settle({
        kind: 'refund',
        job,
        assignments,
        to: 'FAILED',
        errorMessage: reason,
        proverId,
        failedProvers: held.filter((a) => a.status !== 'REPORTED').map((a) => a.prover_id),
      });
    });
  }
}
