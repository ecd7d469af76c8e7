import { Injectable, Logger, OnApplicationBootstrap, BeforeApplicationShutdown } from '@nestjs/common';
import { EventBus, UnhandledExceptionBus } from '@nestjs/cqrs';
import type { Subscription } from 'rxjs';
import { DataSource } from 'typeorm';
import { OutboxEvent, outboxEventClasses } from './outbox-event';

const POLL_MS = 50;
const BATCH = 500;
const RETENTION = "interval '1 hour'";
/** A row whose handler keeps throwing is handed back this many times (backoff 100 ms doubling, at most 5 min), then left. */
const MAX_REDELIVERIES = 20;

interface OutboxRow {
  id: string;
  event_id: string;
  event_type: string;
  payload: object;
  created_at: Date;
}

/**
 * Publishes committed outbox rows to the EventBus, at least once, in id order, within
 * about POLL_MS of their commit. Rows are claimed with FOR UPDATE SKIP LOCKED, so any
 * number of replicas can relay at once without publishing a row twice in the same pass.
 * When a handler throws, the bus reports it on the UnhandledExceptionBus and the row is
 * handed back for another pass (with backoff): every handler of the event sees it again,
 * so handlers stay idempotent by event_id.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private lastCleanup = 0;
  private failures?: Subscription;
  private readonly handingBack = new Set<Promise<void>>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly eventBus: EventBus,
    private readonly unhandled: UnhandledExceptionBus,
  ) {}

  onApplicationBootstrap(): void {
    this.failures = this.unhandled.subscribe(({ cause, exception }) => {
      if (!(cause instanceof OutboxEvent) || this.stopped) return;
      const done = this.handBack(cause, exception).finally(() => this.handingBack.delete(done));
      this.handingBack.add(done);
    });
    this.schedule();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.failures?.unsubscribe();
    await this.running;
    await Promise.all(this.handingBack);
  }

  /**
   * Marks the event's row unpublished again. If the relay that published it has not
   * committed yet, this waits for its row lock, so the hand-back is never overwritten.
   */
  private async handBack(event: OutboxEvent, exception: unknown): Promise<void> {
    try {
      const [rows]: [{ redeliveries: number }[], number] = await this.dataSource.query(
        `UPDATE outbox SET published_at = NULL, redeliveries = redeliveries + 1,
                next_attempt_at = now() + make_interval(secs => least(300, 0.1 * 2 ^ redeliveries))
         WHERE event_id = $1 AND redeliveries < $2 RETURNING redeliveries`,
        [event.eventId, MAX_REDELIVERIES],
      );
      const reason = exception instanceof Error ? exception.message : String(exception);
      if (rows.length === 0) {
        this.logger.error(
          { event_id: event.eventId, err: reason },
          `a handler of ${event.constructor.name} still fails after ${MAX_REDELIVERIES} redeliveries; left as published`,
        );
      } else {
        this.logger.warn(
          { event_id: event.eventId, redeliveries: rows[0].redeliveries, err: reason },
          `a handler of ${event.constructor.name} failed; the event will be published again`,
        );
      }
    } catch (error) {
      this.logger.error({ err: error, event_id: event.eventId }, 'could not hand a failed event back to the outbox');
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.pass()
        .then(() => undefined)
        .catch((error) => this.logger.error({ err: error }, 'outbox relay pass failed'))
        .finally(() => this.schedule());
    }, POLL_MS);
  }

  /** One pass: publish everything pending; returns the number of events published. */
  async pass(): Promise<number> {
    let total = 0;
    for (;;) {
      const published = await this.dataSource.transaction(async (tx) => {
        const rows: OutboxRow[] = await tx.query(
          `SELECT id::text, event_id, event_type, payload, created_at FROM outbox
           WHERE published_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= now())
           ORDER BY id LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`,
        );
        if (rows.length === 0) return 0;
        for (const row of rows) {
          for (const EventClass of outboxEventClasses(row.event_type)) {
            this.eventBus.publish(new EventClass(row.payload as never, row.event_id, row.created_at));
          }
        }
        await tx.query(`UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])`, [rows.map((r) => r.id)]);
        return rows.length;
      });
      total += published;
      if (published < BATCH) break;
    }
    if (Date.now() - this.lastCleanup > 60_000) {
      this.lastCleanup = Date.now();
      await this.dataSource.query(`DELETE FROM outbox WHERE published_at < now() - ${RETENTION}`);
    }
    return total;
  }
}
