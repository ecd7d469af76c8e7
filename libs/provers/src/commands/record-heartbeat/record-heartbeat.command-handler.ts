import { CommandBus, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { UnitOfWork } from '@tally/database';
import { ProverReplicasQuery, ReleaseStartCommand, TakeReplicaNoticesCommand } from '@tally/jobs';
import { TallyEnv } from '@tally/shared';
import { ProverNotFoundError } from '../../domain';
import { ProverRepository } from '../../persistence/prover.repository';
import { JobWakeups } from '../poll-job/job-wakeups';
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
    private readonly replicas: ProverReplicasQuery,
    private readonly commands: CommandBus,
    private readonly wakeups: JobWakeups,
    private readonly env: TallyEnv,
  ) {}

  async execute({ proverId, beat }: RecordHeartbeatCommand): Promise<HeartbeatAnswer> {
    // Given back before the heartbeat is recorded: if a give-back fails, the heartbeat answers
    // an error and has told nothing, so its retry reports the same cancellations.
    const released = beat.runningJobs ? await this.releaseUnlisted(proverId, beat.runningJobs) : [];
    // The heartbeat and what it tells commit together: a heartbeat that fails has told nothing.
    const cancelled = await this.uow.run(async () => {
      const since = await this.provers.heartbeat(proverId, beat, CANCELLATION_OVERLAP_MS);
      if (since === null) throw new ProverNotFoundError(proverId);
      return this.commands.execute(new TakeReplicaNoticesCommand(proverId, since));
    });
    return { accepted: true, cancelled_jobs: cancelled, released_jobs: released };
  }

  /**
   * The starts the prover does not list, older than the grace, are given back one job at a
   * time through the jobs lib, as a poll gives back a start it could not deliver: each under
   * its job's row lock, where the start's age is checked again (a poll may have started it
   * anew meanwhile). Each one given back wakes a poll of the prover waiting here.
   */
  private async releaseUnlisted(proverId: string, running: string[]): Promise<string[]> {
    const grace = this.env.PROVER_START_ACK_GRACE_MS;
    const released: string[] = [];
    for (const jobId of await this.replicas.unlistedStarts(proverId, running, grace)) {
      if (await this.commands.execute(new ReleaseStartCommand(jobId, proverId, grace))) {
        released.push(jobId);
        this.wakeups.wakeOne(proverId);
      }
    }
    return released;
  }
}
