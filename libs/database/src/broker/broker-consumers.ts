import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstreamManager,
  type ConsumerConfig,
  type ConsumerMessages,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { LoopBackoff, TallyEnv } from '@tally/shared';
import type { PublicEvent } from '../outbox/public-event';

/** A handler that failed: the message comes back after this long (the handler's own retries are spent). */
const NAK_DELAY_MS = 1_000;

/** Unacked messages a consumer that need not keep order may hold (JetStream's default). */
const MAX_ACK_PENDING = 1_000;

/** A durable consumer's settings (what JetStream keeps for it; the same on every replica). */
export function brokerConsumerConfig(
  env: Pick<TallyEnv, 'EVENTS_SUBJECT_PREFIX' | 'EVENTS_ACK_WAIT_MS'>,
  s: Pick<BrokerSubscription, 'durable' | 'filter' | 'ordered'>,
) {
  return {
    durable_name: s.durable,
    filter_subject: [env.EVENTS_SUBJECT_PREFIX, ...s.filter].join('.'),
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(env.EVENTS_ACK_WAIT_MS),
    deliver_policy: DeliverPolicy.All,
    max_deliver: -1,
    // Ordered: one message out at a time, over every replica. JetStream delivers the next
    // only once this one is acked, and a message nak'd or left unacked by a dead consumer
    // comes back before anything later, so nothing overtakes it.
    max_ack_pending: s.ordered ? 1 : MAX_ACK_PENDING,
  };
}

export interface BrokerSubscription {
  /** The durable consumer's name: replicas share it, so each message goes to one of them. */
  durable: string;
  /** Subject tokens after the prefix, wildcards allowed (`['scorecard', '>']`). */
  filter: string[];
  /**
   * Handle in stream order even across redelivery (a nak, a crash): one message at a time
   * over all replicas. Without it, a redelivered message may come after later ones.
   */
  ordered?: boolean;
  /** Handles one event; idempotent by event_id (a message may come again). */
  handle(event: PublicEvent): Promise<void>;
}

/**
 * Durable JetStream consumers for Tally's own handlers (SCORECARD_CONSUMER=broker,
 * AUDIT_CONSUMER=broker). Explicit ack: a message is acked only once its handler resolved,
 * so a consumer that dies mid-message gets it again after the ack wait (or at once from
 * another replica). Messages of one subject are handled one after the other, in stream
 * order (per prover for scorecards, per job for audits); subjects run side by side. A
 * handler that fails naks its message for a later redelivery; nothing is dropped. An
 * ordered subscription has one message out at a time, so that order holds across naks,
 * crashes and replicas too.
 */
@Injectable()
export class BrokerConsumers implements BeforeApplicationShutdown {
  private readonly logger = new Logger(BrokerConsumers.name);
  private nc?: Promise<NatsConnection>;
  private readonly running: { messages?: ConsumerMessages; done: Promise<void> }[] = [];
  private stopped = false;

  constructor(private readonly env: TallyEnv) {}

  /** Starts consuming in the background (retrying until the broker and the stream are there). */
  start(subscription: BrokerSubscription): void {
    if (this.env.EVENTS_NATS_URL === undefined) throw new Error('a broker consumer needs EVENTS_NATS_URL');
    const entry: { messages?: ConsumerMessages; done: Promise<void> } = { done: Promise.resolve() };
    entry.done = this.run(subscription, entry);
    this.running.push(entry);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    for (const entry of this.running) entry.messages?.stop();
    await Promise.all(this.running.map((e) => e.done));
    const nc = await this.nc?.catch(() => undefined);
    await nc?.close().catch(() => undefined);
  }

  private connection(): Promise<NatsConnection> {
    this.nc ??= connect({
      servers: this.env.EVENTS_NATS_URL!.split(','),
      name: 'tally-consumers',
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
    }).catch((error: unknown) => {
      this.nc = undefined;
      throw error;
    });
    return this.nc;
  }

  private async run(s: BrokerSubscription, entry: { messages?: ConsumerMessages }): Promise<void> {
    const backoff = new LoopBackoff(`broker consumer ${s.durable}`, this.logger);
    while (!this.stopped) {
      try {
        const nc = await this.connection();
        const jsm = await jetstreamManager(nc);
        const stream = this.env.EVENTS_STREAM;
        await createOrUpdate(jsm, stream, brokerConsumerConfig(this.env, s));
        const consumer = await jetstream(nc).consumers.get(stream, s.durable);
        entry.messages = await consumer.consume({ max_messages: 256 });
        if (this.stopped) entry.messages.stop();
        backoff.succeeded();
        const chains = new Map<string, Promise<void>>();
        for await (const m of entry.messages) {
          const previous = chains.get(m.subject) ?? Promise.resolve();
          const next = previous.then(async () => {
            try {
              await s.handle(m.json<PublicEvent>());
              m.ack();
            } catch (error) {
              this.logger.warn(
                { subject: m.subject, err: (error as Error).message },
                `${s.durable}: handler failed, redelivering`,
              );
              m.nak(NAK_DELAY_MS);
            }
          });
          chains.set(m.subject, next);
          void next.finally(() => {
            if (chains.get(m.subject) === next) chains.delete(m.subject);
          });
        }
        await Promise.all(chains.values());
      } catch (error) {
        if (this.stopped) return;
        backoff.failed(error);
        await new Promise((r) => setTimeout(r, backoff.delayMs));
      }
    }
  }
}

/**
 * Creates the durable consumer, or brings one made by an older release (or with other
 * settings) to this config: JetStream refuses to create a durable that exists with another
 * config. Replicas racing here fail one attempt and retry.
 */
async function createOrUpdate(jsm: JetStreamManager, stream: string, config: Partial<ConsumerConfig>): Promise<void> {
  const name = config.durable_name!;
  const existing = await jsm.consumers.info(stream, name).catch((error: unknown) => {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound) return undefined;
    throw error;
  });
  if (!existing) {
    await jsm.consumers.add(stream, config);
    return;
  }
  const changes = {
    ack_wait: config.ack_wait,
    max_deliver: config.max_deliver,
    max_ack_pending: config.max_ack_pending,
  };
  const current = existing.config;
  if (Object.entries(changes).some(([k, v]) => current[k as keyof typeof changes] !== v)) {
    await jsm.consumers.update(stream, name, changes);
  }
}
