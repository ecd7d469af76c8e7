import { Logger } from '@nestjs/common';
import { CommandBus, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { UnitOfWork } from '@tally/database';
import { FailJobCommand, RequeueJobCommand } from '@tally/jobs';
import { MarkSilentOfflineCommand } from '@tally/provers';
import { TallyEnv } from '@tally/shared';
import { SchedulingRepository } from '../../persistence/scheduling.repository';
import { SweepResult, SweepTimeoutsCommand } from './sweep-timeouts.command';

/** Jobs handled per kind in one sweep; the rest wait for the next. */
const SWEEP_LIMIT = 500;
export const WALL_CLOCK_REASON = 'wall-clock timeout';

@CommandHandler(SweepTimeoutsCommand)
export class SweepTimeoutsCommandHandler implements ICommandHandler<SweepTimeoutsCommand, SweepResult> {
  private readonly logger = new Logger(SweepTimeoutsCommandHandler.name);

  constructor(
    private readonly uow: UnitOfWork,
    private readonly scheduling: SchedulingRepository,
    private readonly commands: CommandBus,
    private readonly env: TallyEnv,
  ) {}

  async execute(): Promise<SweepResult> {
    const ttlMs = this.env.PROVER_LIVENESS_TTL_MS;
    const wallClockMs = this.env.JOB_WALL_CLOCK_TTL_MS;
    const found = await this.uow.run(async () => {
      if (!(await this.scheduling.tryLockSweep())) return null;
      const offline = await this.commands.execute(new MarkSilentOfflineCommand(ttlMs));
      const orphaned = await this.scheduling.orphanedAssignments(SWEEP_LIMIT);
      const overdue = await this.scheduling.overdueJobs(wallClockMs, SWEEP_LIMIT);
      return { offline, orphaned, overdue };
    });
    const result: SweepResult = {
      swept: found !== null,
      offline: found?.offline ?? [],
      requeued: 0,
      gaveUp: 0,
      timedOut: 0,
    };
    if (!found) return result;
    if (result.offline.length > 0) this.logger.warn({ provers: result.offline }, 'provers went offline');

    // Each job in a transaction of its own, re-checked under its row lock: a prover back in
    // the meantime keeps its job, and a job settled meanwhile is left alone.
    const handled = new Set<string>();
    for (const { network_job_id: jobId, prover_id: proverId } of found.orphaned) {
      if (handled.has(jobId)) continue; // a requeue redoes every replica at once
      const job = await this.uow.run(async () => {
        if (!(await this.scheduling.stillOrphaned(jobId, proverId))) return null;
        return this.commands.execute(new RequeueJobCommand(jobId, proverId, this.env.SCHEDULER_MAX_ATTEMPTS));
      });
      if (!job) continue;
      handled.add(jobId);
      if (job.status === 'PENDING') result.requeued++;
      else if (job.status === 'FAILED') result.gaveUp++;
    }
    for (const { network_job_id: jobId, prover_id: proverId } of found.overdue) {
      if (handled.has(jobId)) continue;
      const job = await this.uow.run(async () => {
        if (!(await this.scheduling.stillOverdue(jobId, wallClockMs))) return null;
        return this.commands.execute(new FailJobCommand(jobId, WALL_CLOCK_REASON, proverId, true));
      });
      if (job?.status === 'FAILED') result.timedOut++;
    }
    return result;
  }
}
