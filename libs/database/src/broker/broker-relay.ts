import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { connect, headers, nanos, type NatsConnection } from '@nats-io/transport-node';
import { ErrorCode, LoopBackoff, LoopFailure, TallyEnv } from '@tally/shared';
import { eventMessages, publicEvent, type PublicOutboxRow } from '../outbox/public-event';
import { prepared } from '../prepared';

const POLL_MS = 50;
const BATCH = 500;
/** One relay at a time over the whole database, so per-subject order holds across replicas. */
const RELAY_LOCK = "hashtext('tally.broker-relay')";

/** `off`: no broker configured; `up`: publishing; `degraded`: the broker is away or slow, events wait in the outbox. */
export type BrokerState = 'off' | 'up' | 'degraded';

/** An event that failed past its retry budget: shown with DSE-006, still retried. */
export interface FailingDelivery {
  event_id: string;
  type: string;
  sequence: string;
  attempts: number;
  code: ErrorCode;
  error: string;
}

/** The broker transport's health, for /ready, /v1/system/info and the admin status route. */
export interface BrokerStatus {
  transport: 'nats' | 'off';
  state: BrokerState;
  stream?: string;
  /** Events committed and not yet acked by the broker. */
  backlog: number;
  /** Age of the oldest of them, in seconds (0 when none). */
  lag_seconds: number;
}

interface PendingRow extends PublicOutboxRow {
  id: string;
  broker_attempts: number;
}

/**
 * Publishes every outbox row to one JetStream stream (docs/events.md): a row is marked on
 * the broker (`broker_published_at`) only once JetStream acked each of its messages, so a
 * broker that is away or slow only makes rows wait (nothing is lost), and a crash at any
 * instant republishes what was not marked; JetStream drops the repeats by Nats-Msg-Id
 * within its duplicate window. Rows go in outbox id order, and on each subject one
 * message at a time (the next only after the previous one's ack), so each subject keeps
 * the order its events were committed in: writers of one job, prover or account serialise
 * on its row, so their outbox ids follow their commits. A failed subject stops for the
 * pass; its later rows wait for the next one. After a failed pass the relay sends only the
 * head row until the broker acks it (a probe), then full batches again. Independent of the
 * in-process relay: its own columns, its own loop, off when EVENTS_NATS_URL is unset.
 */
@Injectable()
export class BrokerRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(BrokerRelay.name);
  private readonly backoff = new LoopBackoff('event broker relay', this.logger);
  private nc?: NatsConnection;
  private js?: JetStreamClient;
  private streamReady = false;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly env: TallyEnv,
  ) {}

  get enabled(): boolean {
    return this.env.EVENTS_NATS_URL !== undefined;
  }

  get state(): BrokerState {
    if (!this.enabled) return 'off';
    return this.streamReady && this.backoff.failuresInRow === 0 ? 'up' : 'degraded';
  }

  /** The relay's last failure (connect, stream or publish), kept after it recovers. */
  get lastError(): LoopFailure | undefined {
    return this.backoff.lastError;
  }

  onApplicationBootstrap(): void {
    if (this.enabled) this.schedule();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.nc?.close().catch(() => undefined);
  }

  /** The transport's state with its backlog (from the table: every replica sees the same). */
  async status(): Promise<BrokerStatus> {
    if (!this.enabled) return { transport: 'off', state: 'off', backlog: 0, lag_seconds: 0 };
    const [row] = await prepared<{ backlog: string; lag: number | null }>(
      this.dataSource,
      `SELECT count(*)::text AS backlog, extract(epoch FROM now() - min(created_at))::float8 AS lag
       FROM outbox WHERE broker_published_at IS NULL`,
    );
    return {
      transport: 'nats',
      state: this.state,
      stream: this.env.EVENTS_STREAM,
      backlog: Number(row.backlog),
      lag_seconds: Math.max(0, row.lag ?? 0),
    };
  }

  /** Events past EVENTS_RETRY_BUDGET failed attempts, oldest first (they are still retried). */
  async failing(limit = 100): Promise<FailingDelivery[]> {
    if (!this.enabled) return [];
    const rows = await prepared<{
      id: string;
      event_id: string;
      event_type: string;
      broker_attempts: number;
      broker_error: string | null;
    }>(
      this.dataSource,
      `SELECT o.id::text AS id, o.event_id, o.event_type, o.broker_attempts, o.broker_error FROM outbox o
       WHERE o.broker_published_at IS NULL AND o.broker_attempts >= $1 ORDER BY o.id LIMIT $2`,
      [this.env.EVENTS_RETRY_BUDGET, limit],
    );
    return rows.map((r) => ({
      event_id: r.event_id,
      type: r.event_type,
      sequence: r.id,
      attempts: r.broker_attempts,
      code: ErrorCode.TransportFailure,
      error: r.broker_error ?? 'delivery failed',
    }));
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.pass()
        .then(
          () => this.backoff.succeeded(),
          (error: unknown) => {
            this.streamReady = false;
            this.backoff.failed(error);
          },
        )
        .finally(() => this.schedule());
    }, POLL_MS + this.backoff.delayMs);
  }

  /** Connects (once; the client then reconnects by itself) and creates or updates the stream. */
  private async ready(): Promise<JetStreamClient> {
    if (!this.nc || this.nc.isClosed()) {
      this.nc = await connect({
        servers: this.env.EVENTS_NATS_URL!.split(','),
        name: 'tally-outbox',
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        timeout: this.env.EVENTS_PUBLISH_TIMEOUT_MS,
      });
      this.js = jetstream(this.nc, { timeout: this.env.EVENTS_PUBLISH_TIMEOUT_MS });
      this.streamReady = false;
    }
    if (!this.streamReady) {
      const jsm = await jetstreamManager(this.nc, { timeout: this.env.EVENTS_PUBLISH_TIMEOUT_MS });
      const config = {
        subjects: [`${this.env.EVENTS_SUBJECT_PREFIX}.>`],
        max_age: nanos(this.env.EVENTS_MAX_AGE_MS),
        max_bytes: this.env.EVENTS_MAX_BYTES,
        duplicate_window: nanos(this.env.EVENTS_DUPLICATE_WINDOW_MS),
      };
      const exists = await jsm.streams.info(this.env.EVENTS_STREAM).then(
        () => true,
        () => false,
      );
      if (exists) await jsm.streams.update(this.env.EVENTS_STREAM, config);
      else await jsm.streams.add({ name: this.env.EVENTS_STREAM, ...config });
      this.streamReady = true;
    }
    return this.js!;
  }

  /**
   * One pass over what is due, under the relay lock (held by a transaction that writes
   * only at its end, so it holds back no horizon meanwhile). Returns the rows marked.
   */
  async pass(): Promise<number> {
    let js: JetStreamClient;
    try {
      js = await this.ready();
    } catch (error) {
      // No broker to talk to: the events due count a failed attempt each (DSE-006 past the budget).
      await prepared(
        this.dataSource,
        `UPDATE outbox SET broker_attempts = broker_attempts + 1, broker_error = $1
         WHERE id IN (SELECT id FROM outbox WHERE broker_published_at IS NULL ORDER BY id LIMIT ${BATCH})`,
        [errorText(error)],
      );
      throw error;
    }
    let marked = 0;
    let failure: unknown;
    await this.dataSource.transaction(async (m) => {
      const [{ locked }] = await prepared<{ locked: boolean }>(
        m,
        `SELECT pg_try_advisory_xact_lock(${RELAY_LOCK}) AS locked`,
      );
      if (!locked) return;
      const rows = await prepared<PendingRow>(
        m,
        `SELECT o.id::text AS id, o.event_id, o.event_type, o.payload, o.created_at, o.broker_attempts FROM outbox o
         WHERE o.broker_published_at IS NULL ORDER BY o.id LIMIT ${BATCH}`,
      );
      if (rows.length === 0) return;
      // Degraded (the last pass failed): only the head row goes, as a probe, so a broker that
      // is away or struggling gets one message a pass, not a batch; once it is acked, the
      // next pass sends full batches again. Rows behind it wait, in order.
      const probing = this.backoff.failuresInRow > 0;
      const sent = probing ? rows.slice(0, 1) : rows;
      const outcome = await this.publish(js, sent);
      failure = outcome.failure;
      const done = sent.filter((r) => !outcome.failed.has(r.id));
      // A failed probe counts an attempt for every row due, as when the broker cannot be reached.
      const failed = rows.filter((r) => outcome.failed.has(r.id) || (probing && failure !== undefined));
      await prepared(
        m,
        `UPDATE outbox SET broker_published_at = now(), broker_error = NULL WHERE id = ANY($1::bigint[])`,
        [done.map((r) => r.id)],
      );
      if (failed.length > 0) {
        await prepared(
          m,
          `UPDATE outbox SET broker_attempts = broker_attempts + 1, broker_error = $2 WHERE id = ANY($1::bigint[])`,
          [failed.map((r) => r.id), errorText(failure)],
        );
      }
      marked = done.length;
    });
    // Some rows wait: the loop backs off and /ready reports the transport degraded.
    if (failure !== undefined) throw failure;
    return marked;
  }

  /**
   * Publishes `rows` (in id order): one chain per order key (a subject, or a job's
   * subjects together), each message after the previous one's ack; the first failure stops every chain (so nothing overtakes what failed).
   * Returns the rows not wholly acked.
   */
  private async publish(js: JetStreamClient, rows: PendingRow[]): Promise<{ failed: Set<string>; failure?: unknown }> {
    const chains = new Map<string, { row: PendingRow; subject: string; msgId: string; body: string }[]>();
    const prefix = this.env.EVENTS_SUBJECT_PREFIX;
    for (const row of rows) {
      for (const { subject, msgId, orderKey } of eventMessages(row, prefix)) {
        const chain = chains.get(orderKey) ?? [];
        chain.push({ row, subject, msgId, body: JSON.stringify(publicEvent(row, subject)) });
        chains.set(orderKey, chain);
      }
    }
    const failed = new Set<string>();
    let failure: unknown;
    await Promise.all(
      [...chains.values()].map(async (chain) => {
        for (const [i, message] of chain.entries()) {
          if (failure !== undefined) {
            chain.slice(i).forEach((rest) => failed.add(rest.row.id));
            return;
          }
          try {
            const h = headers();
            h.set('Content-Type', 'application/json');
            await js.publish(message.subject, message.body, {
              msgID: message.msgId,
              headers: h,
              timeout: this.env.EVENTS_PUBLISH_TIMEOUT_MS,
            });
          } catch (error) {
            failure ??= error;
            chain.slice(i).forEach((rest) => failed.add(rest.row.id));
            return;
          }
        }
      }),
    );
    return { failed, failure };
  }
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.slice(0, 500);
}
