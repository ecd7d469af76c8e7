import { BeforeApplicationShutdown } from '@nestjs/common';
import { CommandBus, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { JobRow, StartNextJobCommand } from '@tally/jobs';
import { GroupCommit, TallyEnv } from '@tally/shared';
import { ProverNotFoundError } from '../../domain';
import { ProverRepository } from '../../persistence/prover.repository';
import { JobWakeups } from './job-wakeups';
import { PollJobCommand } from './poll-job.command';

@CommandHandler(PollJobCommand)
export class PollJobCommandHandler
  implements ICommandHandler<PollJobCommand, JobRow | null>, BeforeApplicationShutdown
{
  /** A poll is a heartbeat; the polls that arrive together refresh their provers in one statement. */
  private readonly touches = new GroupCommit<string, boolean>(async (proverIds) => {
    const known = await this.provers.touchAll([...new Set(proverIds)]);
    return proverIds.map((p) => ({ value: known.has(p) }));
  });

  constructor(
    private readonly provers: ProverRepository,
    private readonly commands: CommandBus,
    private readonly wakeups: JobWakeups,
    private readonly env: TallyEnv,
  ) {}

  async execute({ proverId, maxWaitMs, signal }: PollJobCommand): Promise<JobRow | null> {
    const deadline = Date.now() + maxWaitMs;
    await this.touch(proverId);
    let touchedAt = Date.now();
    for (;;) {
      // Starts the oldest waiting assignment through the jobs lib (under the job's row lock).
      const job = await this.commands.execute(new StartNextJobCommand(proverId));
      if (job) return job;
      const remaining = deadline - Date.now();
      if (remaining <= 0 || signal?.aborted || this.wakeups.stopping) return null;
      // Woken by this replica's JobAssigned; the timer covers assignments relayed elsewhere.
      await this.wakeups.wait(proverId, Math.min(remaining, this.env.PROVER_POLL_RECHECK_MS), signal);
      if (signal?.aborted || this.wakeups.stopping) return null;
      // A prover waiting in a long poll is alive: keep its heartbeat within the liveness TTL.
      if (Date.now() - touchedAt > this.env.PROVER_LIVENESS_TTL_MS / 3) {
        await this.touch(proverId);
        touchedAt = Date.now();
      }
    }
  }

  private async touch(proverId: string): Promise<void> {
    if (!(await this.touches.submit(proverId))) throw new ProverNotFoundError(proverId);
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.touches.idle();
  }
}
