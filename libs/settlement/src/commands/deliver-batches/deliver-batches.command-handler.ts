import { randomUUID } from 'node:crypto';
import { Inject, Logger } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { TallyEnv } from '@tally/shared';
import { retryDelayMs, SETTLEMENT_SINKS, type SettlementSink } from '../../domain';
import { DeliveryRepository } from '../../persistence/delivery.repository';
import { SettlementRepository } from '../../persistence/settlement.repository';
import { DeliverBatchesCommand } from './deliver-batches.command';

type Step = 'delivered' | 'failed' | 'idle';

/**
 * Works through each sink's undelivered batches, oldest first. Only the sink's oldest open
 * batch can be claimed (a lease on its row, see DeliveryRepository.claim): a batch that
 * fails blocks the ones after it until it is delivered (retried with exponential
 * backoff), so order holds and an outage loses nothing. Delivery is at least once (a
 * lease can run out mid-call); receivers dedupe by batch_no.
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

  private readonly draining = new Set<string>();

  private async drain(sink: SettlementSink): Promise<number> {
    // One drain per sink in this process; other replicas are kept off by the lease.
    if (this.draining.has(sink.name)) return 0;
    this.draining.add(sink.name);
    try {
      let delivered = 0;
      while ((await this.step(sink)) === 'delivered') delivered++;
      return delivered;
    } finally {
      this.draining.delete(sink.name);
    }
  }

  private async step(sink: SettlementSink): Promise<Step> {
    const claim = await this.deliveries.claim(sink.name, randomUUID());
    if (!claim) return 'idle';
    const batch = await this.batches.batch(claim.batch_no);
    if (!batch) throw new Error(`delivery row for missing batch ${claim.batch_no}`);
    try {
      await sink.deliver(batch);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const delay = retryDelayMs(
        claim.attempts + 1,
        this.env.SETTLEMENT_RETRY_BASE_MS,
        this.env.SETTLEMENT_RETRY_MAX_MS,
      );
      await this.deliveries.markFailed(sink.name, claim, message, delay);
      this.logger.warn(
        { sink: sink.name, batch_no: claim.batch_no, attempts: claim.attempts + 1, retry_in_ms: delay, err: message },
        'settlement batch delivery failed',
      );
      return 'failed';
    }
    await this.deliveries.markDelivered(sink.name, claim);
    return 'delivered';
  }
}
