import { BeforeApplicationShutdown } from '@nestjs/common';
import { CommandBus, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { JobRow, StartNextJobCommand } from '@tally/jobs';
import { Clock, GroupCommit, TallyEnv, UnauthenticatedError } from '@tally/shared';
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

  /** When this process last refreshed each prover's heartbeat. */
  private readonly touchedAt = new Map<string, number>();

  constructor(
    private readonly provers: ProverRepository,
    private readonly commands: CommandBus,
    private readonly wakeups: JobWakeups,
    private readonly env: TallyEnv,
    private readonly clock: Clock,
  ) {}

  private nowMs(): number {
    return this.clock.now().getTime();
  }

  async execute({ proverId, maxWaitMs, signal, stillAuthenticated }: PollJobCommand): Promise<JobRow | null> {
    const deadline = this.nowMs() + maxWaitMs;
    await this.touch(proverId);
    for (;;) {
      // Starts the oldest waiting assignment through the jobs lib (under the job's row lock).
      const job = await this.commands.execute(new StartNextJobCommand(proverId));
      if (job) return job;
      const remaining = deadline - this.nowMs();
      if (remaining <= 0 || signal?.aborted || this.wakeups.stopping) return null;
      // A prover waiting in a long poll is alive: its heartbeat stays within the liveness TTL.
      const woken = await this.wakeups.wait(proverId, Math.min(remaining, this.env.PROVER_LIVENESS_TTL_MS / 3), signal);
      if (signal?.aborted || this.wakeups.stopping) return null;
      // A key revoked (a token expired, its kid removed) while its poll waited gets no job (nor keeps its prover live).
      if (stillAuthenticated && !(await stillAuthenticated())) {
        throw new UnauthenticatedError('the credential was revoked or expired while the poll waited');
      }
      if (signal?.aborted) return null;
      if (!woken) {
        if (this.nowMs() >= deadline) return null;
        await this.touch(proverId);
      }
    }
  }

  /**
   * Refreshes the prover's heartbeat, unless this process did within the last third of the
   * liveness TTL (a poll loop need not write the row on every poll to keep it live).
   */
  private async touch(proverId: string): Promise<void> {
    const at = this.touchedAt.get(proverId);
    if (at !== undefined && this.nowMs() - at < this.env.PROVER_LIVENESS_TTL_MS / 3) return;
    const started = this.nowMs();
    if (!(await this.touches.submit(proverId))) throw new ProverNotFoundError(proverId);
    if (this.touchedAt.size >= 100_000) this.touchedAt.clear();
    this.touchedAt.set(proverId, started);
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.touches.idle();
  }
}
