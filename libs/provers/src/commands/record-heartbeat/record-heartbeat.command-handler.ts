import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { ProverNotFoundError } from '../../domain';
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
  constructor(private readonly provers: ProverRepository) {}

  async execute({ proverId, beat }: RecordHeartbeatCommand): Promise<HeartbeatAnswer> {
    const cancelled = await this.provers.heartbeat(proverId, beat, CANCELLATION_OVERLAP_MS);
    if (!cancelled) throw new ProverNotFoundError(proverId);
    return { accepted: true, cancelled_jobs: cancelled };
  }
}
