import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Clock, inSpan, TallyEnv } from '@tally/shared';
import { retryDelayMs, SinkChain, type SettlementSink } from '../../domain';
import { SinkHealthMonitor } from '../../failover/sink-health-monitor';
import { DeliveryRepository } from '../../persistence/delivery.repository';
import { SettlementRepository } from '../../persistence/settlement.repository';
import { DeliverBatchesCommand } from './deliver-batches.command';

type Step = 'delivered' | 'failed' | 'idle';

/** At most this many fallback switches in one pass (primary → secondary → emergency is two). */
const MAX_SWITCHES_PER_PASS = 3;

/**
 * One delivery pass over the sink chain. Every sealed batch waits for the primary; each
 * sink works through its own queue oldest first, and only its oldest open batch can be
 * claimed (a lease on its row, see DeliveryRepository.claim): a batch that fails blocks
 * the ones after it until it is delivered (retried with exponential backoff), so order
 * holds and an outage loses nothing. Each attempt feeds the health monitor; while the
 * chain is Degraded or in Emergency, what the primary lacks is also queued, in order, for
 * the fallback in use. The primary keeps retrying its queue meanwhile, and once it
 * answers it takes everything it lacks in batch order: that is the reconciliation.
 * Delivery is at least once (a lease can run out mid-call, a fallback and the primary
 * both get a batch); receivers dedupe by the batch's dedupe key.
 */
@CommandHandler(DeliverBatchesCommand)
export class DeliverBatchesCommandHandler implements ICommandHandler<DeliverBatchesCommand, number> {
  private readonly logger = new Logger(DeliverBatchesCommandHandler.name);
  /** One drain per sink at a time in this process (a later one waits); replicas are kept off by the lease. */
  private readonly draining = new Map<string, Promise<void>>();

  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly batches: SettlementRepository,
    private readonly monitor: SinkHealthMonitor,
    private readonly chain: SinkChain,
    private readonly clock: Clock,
    private readonly env: TallyEnv,
  ) {}

  private get fallbacks(): SettlementSink[] {
    return this.chain.sinks.filter((s) => s.tier !== 'primary');
  }

  async execute(): Promise<number> {
    const primary = this.chain.primary;
    if (!primary) return 0;
    let delivered = await this.drain(primary);
    let state = await this.monitor.state();
    if (state === 'recovering' && (await this.deliveries.openCount(primary.name)) === 0) {
      state = await this.monitor.caughtUp();
    }
    const names = this.fallbacks.map((s) => s.name);
    for (let i = 0; i < MAX_SWITCHES_PER_PASS; i++) {
      const active = this.chain.activeFallback(state);
      if (active) await this.deliveries.enqueueFallback(primary.name, active.name, names, this.clock.now());
      for (const fallback of this.fallbacks) delivered += await this.drain(fallback);
      const after = await this.monitor.state();
      if (after === state) break;
      state = after;
    }
    return delivered;
  }

  private drain(sink: SettlementSink): Promise<number> {
    const previous = this.draining.get(sink.name) ?? Promise.resolve();
    const run = previous.then(async () => {
      let delivered = 0;
      while ((await this.step(sink)) === 'delivered') delivered++;
      return delivered;
    });
    // What the next drain waits on never rejects: the caller of this one gets its error.
    const tracked: Promise<void> = run
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        if (this.draining.get(sink.name) === tracked) this.draining.delete(sink.name);
      });
    this.draining.set(sink.name, tracked);
    return run;
  }

  private async step(sink: SettlementSink): Promise<Step> {
    const claim = await this.deliveries.claim(sink.name, randomUUID(), this.clock.now());
    if (!claim) return 'idle';
    const batch = await this.batches.batch(claim.batch_no);
    if (!batch) throw new Error(`delivery row for missing batch ${claim.batch_no}`);
    let ack;
    try {
      ack = await inSpan(
        'settlement.sink.deliver',
        { 'tally.sink.name': sink.name, 'tally.batch_no': claim.batch_no },
        () => sink.deliver(batch),
      );
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const delay = retryDelayMs(
        claim.attempts + 1,
        this.env.SETTLEMENT_RETRY_BASE_MS,
        this.env.SETTLEMENT_RETRY_MAX_MS,
      );
      await this.deliveries.markFailed(sink.name, claim, message, new Date(this.clock.now().getTime() + delay));
      const state = await this.monitor.attempted(sink.name, false, message);
      this.logger.warn(
        {
          sink: sink.name,
          batch_no: claim.batch_no,
          attempts: claim.attempts + 1,
          retry_in_ms: delay,
          state,
          err: message,
        },
        'settlement batch delivery failed',
      );
      return 'failed';
    }
    await this.deliveries.markDelivered(sink.name, claim, ack, this.clock.now());
    if (sink === this.chain.primary && this.fallbacks.length > 0) {
      await this.deliveries.dropFallbackWaits(
        claim.batch_no,
        this.fallbacks.map((s) => s.name),
      );
    }
    await this.monitor.attempted(sink.name, true, null);
    return 'delivered';
  }
}
