import { CommandBus, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Clock } from '@tally/shared';
import { SinkChain } from '../../domain';
import { SinkHealthMonitor } from '../../failover/sink-health-monitor';
import { DeliveryRepository } from '../../persistence/delivery.repository';
import { FailoverRepository } from '../../persistence/failover.repository';
import { DeliverBatchesCommand } from '../deliver-batches/deliver-batches.command';
import { ReconcileFallbackCommand, type ReconcileResult } from './reconcile-fallback.command';

/**
 * A reconcile on request: the primary's waiting batches are made due now (not after
 * their backoff), then one ordinary delivery pass runs, so the primary takes them in batch
 * order through the same claim, lease and health monitor as every delivery.
 */
@CommandHandler(ReconcileFallbackCommand)
export class ReconcileFallbackCommandHandler implements ICommandHandler<ReconcileFallbackCommand, ReconcileResult> {
  constructor(
    private readonly commands: CommandBus,
    private readonly deliveries: DeliveryRepository,
    private readonly failover: FailoverRepository,
    private readonly monitor: SinkHealthMonitor,
    private readonly chain: SinkChain,
    private readonly clock: Clock,
  ) {}

  async execute(): Promise<ReconcileResult> {
    const started = Date.now(); // a stopwatch, not the Clock: it measures real work
    const primary = this.chain.primary;
    if (!primary) {
      return {
        success: true,
        state: await this.monitor.state(),
        batches_processed: 0,
        batches_reconciled: 0,
        batches_remaining: 0,
        duration_ms: 0,
        errors: [],
      };
    }
    await this.deliveries.makeDue(primary.name, this.clock.now());
    const before = await this.deliveries.openCount(primary.name);
    await this.commands.execute(new DeliverBatchesCommand());
    const [after, state, health] = await Promise.all([
      this.deliveries.openCount(primary.name),
      this.monitor.state(),
      this.failover.health(primary.name),
    ]);
    const failed = after > 0 && (health?.consecutive_failures ?? 0) > 0;
    return {
      success: !failed,
      state,
      batches_processed: before,
      batches_reconciled: Math.max(before - after, 0),
      batches_remaining: after,
      duration_ms: Date.now() - started,
      errors: failed && health?.last_error ? [health.last_error] : [],
    };
  }
}
