import { Inject, Logger } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { TallyEnv } from '@tally/shared';
import { retryDelayMs, SETTLEMENT_SINKS, type SettlementSink } from '../../domain';
import { DeliveryRepository } from '../../persistence/delivery.repository';
import { SettlementRepository } from '../../persistence/settlement.repository';
import { DeliverBatchesCommand } from './deliver-batches.command';

type Step = 'delivered' | 'failed' | 'idle' | 'busy';

/**
 * Works through each sink's undelivered batches, oldest first, one transaction per batch.
 * A per-sink advisory lock keeps other replicas off the sink meanwhile, and the sink's
 * oldest open row is the only candidate: a batch that fails blocks the ones after it
 * until it is delivered (retried with exponential backoff), so order holds and an outage
 * loses nothing.
 */
@CommandHandler(DeliverBatchesCommand)
export class DeliverBatchesCommandHandler implements ICommandHandler<DeliverBatchesCommand, number> {
  private readonly logger = new Logger(DeliverBatchesCommandHandler.name);

  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly batches: SettlementRepository,
    private readonly env: TallyEnv,
    @Inject(SETTLEMENT_SINKS) private readonly sinks: SettlementSink[],
  ) {}

  async execute(): Promise<number> {
    const counts = await Promise.all(this.sinks.map((sink) => this.drain(sink)));
    return counts.reduce((a, b) => a + b, 0);
  }

  private async drain(sink: SettlementSink): Promise<number> {
    let delivered = 0;
    while ((await this.step(sink)) === 'delivered') delivered++;
    return delivered;
  }

  private step(sink: SettlementSink): Promise<Step> {
    return this.deliveries.transaction(async (m) => {
      if (!(await this.deliveries.tryLockSink(m, sink.name))) return 'busy';
      const open = await this.deliveries.nextOpen(m, sink.name);
      if (!open || !open.due) return 'idle';
      const batch = await this.batches.batch(open.batch_no);
      if (!batch) throw new Error(`delivery row for missing batch ${open.batch_no}`);
      try {
        await sink.deliver(batch);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const delay = retryDelayMs(
          open.attempts + 1,
          this.env.SETTLEMENT_RETRY_BASE_MS,
          this.env.SETTLEMENT_RETRY_MAX_MS,
        );
        await this.deliveries.markFailed(m, sink.name, open.batch_no, message, delay);
        this.logger.warn(
          { sink: sink.name, batch_no: open.batch_no, attempts: open.attempts + 1, retry_in_ms: delay, err: message },
          'settlement batch delivery failed',
        );
        return 'failed';
      }
      await this.deliveries.markDelivered(m, sink.name, open.batch_no);
      return 'delivered';
    });
  }
}
