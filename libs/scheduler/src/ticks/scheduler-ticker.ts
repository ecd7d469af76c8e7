import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap, Optional } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Coalesced, LoopBackoff, LoopLiveness, loopLiveness, OperationsObserver, TallyEnv } from '@tally/shared';
import { AssignPendingJobsCommand } from '../commands/assign-pending-jobs/assign-pending-jobs.command';
import { SweepTimeoutsCommand } from '../commands/sweep-timeouts/sweep-timeouts.command';
import type { VersionedSchedulerConfig } from '../domain';
import { GetSchedulerConfigQuery } from '../queries/get-scheduler-config/get-scheduler-config.query';

export const ASSIGN_INTERVAL = 'scheduler.assign';
export const SWEEP_INTERVAL = 'scheduler.sweep';

/**
 * The scheduler's clocks: an assignment tick every `tick_interval_ms` (config) or
 * SCHEDULER_TICK_MS, also run right after job events (see SchedulingTriggers), and a
 * timeout sweep every SCHEDULER_SWEEP_MS, which also picks up a tick interval changed on
 * another replica. Intervals are registered with @nestjs/schedule's SchedulerRegistry;
 * each tick only calls the command (or query) bus. Nothing runs with SCHEDULER_ENABLED=false.
 */
@Injectable()
export class SchedulerTicker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(SchedulerTicker.name);
  private stopped = false;
  private tickMs = 0;
  /** When the clocks started (epoch ms): a loop's age counts from here until its first run. */
  private startedAt = 0;
  /** A job was submitted or requeued since the last tick began: the next one skips its probe. */
  private pendingKnown = false;
  private readonly assignBackoff = new LoopBackoff('assignment tick', this.logger);
  private readonly sweepBackoff = new LoopBackoff('timeout sweep', this.logger);
  private readonly assign = new Coalesced(
    () => this.commands.execute(new AssignPendingJobsCommand(this.takePendingKnown())),
    () => this.stopped,
    this.assignBackoff,
    (seconds, ok) => this.observer?.loopRan(ASSIGN_INTERVAL, seconds, ok),
  );
  private readonly sweep = new Coalesced(
    async () => {
      await this.commands.execute(new SweepTimeoutsCommand());
      this.applyConfig(await this.queries.execute(new GetSchedulerConfigQuery()));
    },
    () => this.stopped,
    this.sweepBackoff,
    (seconds, ok) => this.observer?.loopRan(SWEEP_INTERVAL, seconds, ok),
  );

  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly registry: SchedulerRegistry,
    private readonly env: TallyEnv,
    @Optional() private readonly observer?: OperationsObserver,
  ) {}

  get enabled(): boolean {
    return this.env.SCHEDULER_ENABLED && !this.stopped;
  }

  /** The assignment interval in force (0 when the scheduler is not running). */
  get tickIntervalMs(): number {
    return this.tickMs;
  }

  /** Each clock's last completed run, for readiness (none when the scheduler does not run). */
  liveness(): LoopLiveness[] {
    if (!this.enabled) return [];
    return [
      loopLiveness(ASSIGN_INTERVAL, this.assignBackoff, this.startedAt, this.tickMs),
      loopLiveness(SWEEP_INTERVAL, this.sweepBackoff, this.startedAt, this.env.SCHEDULER_SWEEP_MS),
    ];
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.env.SCHEDULER_ENABLED) return;
    this.startedAt = Date.now();
    this.setTick(this.env.SCHEDULER_TICK_MS);
    this.registry.addInterval(
      SWEEP_INTERVAL,
      setInterval(() => this.sweep.run(), this.env.SCHEDULER_SWEEP_MS),
    );
    this.sweep.run();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    for (const name of [ASSIGN_INTERVAL, SWEEP_INTERVAL]) {
      if (this.registry.doesExist('interval', name)) this.registry.deleteInterval(name);
    }
    await Promise.all([this.assign.idle(), this.sweep.idle()]);
  }

  /**
   * Runs an assignment tick now (or right after the one running). `pendingKnown`: the
   * caller knows a job waits (it was just submitted or requeued).
   */
  trigger(pendingKnown = false): void {
    if (!this.enabled) return;
    if (pendingKnown) this.pendingKnown = true;
    this.assign.run();
  }

  private takePendingKnown(): boolean {
    const known = this.pendingKnown;
    this.pendingKnown = false;
    return known;
  }

  /** Follows a config's tick interval (the environment's when it sets none). */
  applyConfig({ config }: VersionedSchedulerConfig): void {
    if (this.enabled) this.setTick(config.tick_interval_ms ?? this.env.SCHEDULER_TICK_MS);
  }

  private setTick(ms: number): void {
    if (ms === this.tickMs) return;
    if (this.registry.doesExist('interval', ASSIGN_INTERVAL)) this.registry.deleteInterval(ASSIGN_INTERVAL);
    this.registry.addInterval(
      ASSIGN_INTERVAL,
      setInterval(() => this.assign.run(), ms),
    );
    this.tickMs = ms;
    this.logger.debug({ tick_interval_ms: ms }, 'assignment tick interval set');
  }
}
