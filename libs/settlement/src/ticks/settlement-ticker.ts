import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap, Optional } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { Coalesced, LoopBackoff, LoopLiveness, loopLiveness, OperationsObserver, TallyEnv } from '@tally/shared';
import { DeliverBatchesCommand } from '../commands/deliver-batches/deliver-batches.command';
import { SealBatchCommand } from '../commands/seal-batch/seal-batch.command';

export const SEAL_CRON = 'settlement.seal';
export const DELIVERY_INTERVAL = 'settlement.deliver';

/**
 * The settlement clocks, with SETTLEMENT_ENABLED: a seal on SETTLEMENT_SEAL_CRON (it seals
 * only when there are new transfers) and a delivery pass every SETTLEMENT_RETRY_BASE_MS
 * (at most every second) and right after each seal. Each only calls the command bus.
 */
@Injectable()
export class SettlementTicker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(SettlementTicker.name);
  private stopped = false;
  /** When the clocks started (epoch ms): a loop's age counts from here until its first run. */
  private startedAt = 0;
  private readonly sealBackoff = new LoopBackoff('settlement seal', this.logger);
  private readonly deliverBackoff = new LoopBackoff('settlement delivery', this.logger);
  private readonly seal = new Coalesced(
    async () => {
      if (await this.commands.execute(new SealBatchCommand())) this.deliverSoon();
    },
    () => this.stopped,
    this.sealBackoff,
    (seconds, ok) => this.observer?.loopRan(SEAL_CRON, seconds, ok),
  );
  private readonly deliver = new Coalesced(
    () => this.commands.execute(new DeliverBatchesCommand()),
    () => this.stopped,
    this.deliverBackoff,
    (seconds, ok) => this.observer?.loopRan(DELIVERY_INTERVAL, seconds, ok),
  );

  constructor(
    private readonly commands: CommandBus,
    private readonly registry: SchedulerRegistry,
    private readonly env: TallyEnv,
    @Optional() private readonly observer?: OperationsObserver,
  ) {}

  get enabled(): boolean {
    return this.env.SETTLEMENT_ENABLED && !this.stopped;
  }

  /** How often the delivery pass runs (at most every second). */
  private get deliveryEveryMs(): number {
    return Math.min(this.env.SETTLEMENT_RETRY_BASE_MS, 1000);
  }

  /**
   * Each clock's last completed run, for readiness (none when settlement does not run). The
   * seal follows a cron, so it has no interval: only its last error is reported.
   */
  liveness(): LoopLiveness[] {
    if (!this.enabled) return [];
    return [
      loopLiveness(DELIVERY_INTERVAL, this.deliverBackoff, this.startedAt, this.deliveryEveryMs),
      loopLiveness(SEAL_CRON, this.sealBackoff, this.startedAt),
    ];
  }

  onApplicationBootstrap(): void {
    if (!this.env.SETTLEMENT_ENABLED) return;
    this.startedAt = Date.now();
    const job = CronJob.from({ cronTime: this.env.SETTLEMENT_SEAL_CRON, onTick: () => this.seal.run(), start: true });
    this.registry.addCronJob(SEAL_CRON, job);
    this.registry.addInterval(
      DELIVERY_INTERVAL,
      setInterval(() => this.deliver.run(), this.deliveryEveryMs),
    );
    this.deliver.run();
  }

  /** A delivery pass now (or right after the running one), e.g. after a seal on request. */
  deliverSoon(): void {
    if (this.enabled) this.deliver.run();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.registry.doesExist('cron', SEAL_CRON)) this.registry.deleteCronJob(SEAL_CRON);
    if (this.registry.doesExist('interval', DELIVERY_INTERVAL)) this.registry.deleteInterval(DELIVERY_INTERVAL);
    await Promise.all([this.seal.idle(), this.deliver.idle()]);
  }
}
