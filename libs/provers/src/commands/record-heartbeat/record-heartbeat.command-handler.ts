import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { UnitOfWork } from '@tally/database';
import { ProverNotFoundError } from '../../domain';
import { ProverJobsReader } from '../../persistence/prover-jobs.reader';
import { ProverRepository } from '../../persistence/prover.repository';
import { HeartbeatAnswer, RecordHeartbeatCommand } from './record-heartbeat.command';

/**
 * Cancellations are looked for from a minute before the previous heartbeat: the overlap
 * covers a cancel whose transaction committed just after that heartbeat read, and the
 * acknowledgements keep the overlap from reporting a job twice.
 */
const CANCELLATION_OVERLAP_MS = 60_000;

@CommandHandler(RecordHeartbeatCommand)
export class RecordHeartbeatCommandHandler implements ICommandHandler<RecordHeartbeatCommand, HeartbeatAnswer> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly provers: ProverRepository,
    private readonly jobs: ProverJobsReader,
  ) {}

  execute({ proverId, beat }: RecordHeartbeatCommand): Promise<HeartbeatAnswer> {
    return this.uow.run(async () => {
      const before = await this.provers.heartbeat(proverId, beat);
      if (!before) throw new ProverNotFoundError(proverId);
      const since = new Date(
        (before.cancellations_seen_at ?? before.registered_at).getTime() - CANCELLATION_OVERLAP_MS,
      );
      return { accepted: true, cancelled_jobs: await this.jobs.takeCancelledSince(proverId, since) };
    });
  }
}
