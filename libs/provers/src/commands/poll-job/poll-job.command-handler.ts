import { CommandBus, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { UnitOfWork } from '@tally/database';
import { JobRow, StartJobCommand } from '@tally/jobs';
import { TallyEnv } from '@tally/shared';
import { ProverNotFoundError } from '../../domain';
import { ProverJobsReader } from '../../persistence/prover-jobs.reader';
import { ProverRepository } from '../../persistence/prover.repository';
import { JobWakeups } from './job-wakeups';
import { PollJobCommand } from './poll-job.command';

@CommandHandler(PollJobCommand)
export class PollJobCommandHandler implements ICommandHandler<PollJobCommand, JobRow | null> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly provers: ProverRepository,
    private readonly jobs: ProverJobsReader,
    private readonly commands: CommandBus,
    private readonly wakeups: JobWakeups,
    private readonly env: TallyEnv,
  ) {}

  async execute({ proverId, maxWaitMs, signal }: PollJobCommand): Promise<JobRow | null> {
    const deadline = Date.now() + maxWaitMs;
    await this.touch(proverId);
    let touchedAt = Date.now();
    let woken = true;
    for (;;) {
      // A timer wake-up first probes cheaply; an assignment event goes straight to the claim.
      if (woken || (await this.jobs.hasAssigned(proverId))) {
        const job = await this.claim(proverId);
        if (job) return job;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0 || signal?.aborted || this.wakeups.stopping) return null;
      woken = await this.wakeups.wait(proverId, Math.min(remaining, this.env.PROVER_POLL_RECHECK_MS), signal);
      // A prover waiting in a long poll is alive: keep its heartbeat within the liveness TTL.
      if (Date.now() - touchedAt > this.env.PROVER_LIVENESS_TTL_MS / 3) {
        await this.touch(proverId);
        touchedAt = Date.now();
      }
    }
  }

  private async touch(proverId: string): Promise<void> {
    if (!(await this.uow.run(() => this.provers.touch(proverId)))) throw new ProverNotFoundError(proverId);
  }

  /** Starts the oldest waiting assignment through the jobs lib, under the job's row lock. */
  private claim(proverId: string): Promise<JobRow | null> {
    return this.uow.run(async () => {
      const jobId = await this.jobs.claimNextAssigned(proverId);
      return jobId ? this.commands.execute(new StartJobCommand(jobId, proverId)) : null;
    });
  }
}
