import { Injectable, Logger, OnApplicationBootstrap, BeforeApplicationShutdown } from '@nestjs/common';
import { EventBus, UnhandledExceptionBus } from '@nestjs/cqrs';
import type { Subscription } from 'rxjs';
import { DataSource } from 'typeorm';
import { GroupCommit } from '@tally/shared';
import { CommittedEvents, OutboxRecord } from './committed-events';
import { LEASED_UNTIL } from './outbox-writer';
import { isExternalOutboxEvent, OutboxEvent, outboxEventClasses } from './outbox-event';
import { prepared } from '../prepared';

const POLL_MS = 50;
const BATCH = 500;
const RETENTION = "interval '1 hour'";
/** A row whose handler keeps throwing is handed back this many times (backoff 100 ms doubling, at most 5 min), then left. */
const MAX_REDELIVERIES = 20;
/** Published marks wait up to 50 ms for company: nobody waits on them, and a lease covers the gap. */
const MARKS = { lingerMs: 50, maxBatch: 2000 };

/**
 * Publishes committed outbox rows to the EventBus, at least once, in id order per
 * source. Rows this process wrote come straight from their transaction's commit
 * (CommittedEvents); everything else (other writers, other replicas, hand-backs, leases
 * that ran out) is claimed by a poll every POLL_MS with FOR UPDATE SKIP LOCKED, so any
 * number of replicas can relay at once. A claim is a lease: a row is marked published
 * after it went to the bus, and one that is not (the process died) is published again
 * once its lease runs out. When a handler throws, the bus reports it on the
 * UnhandledExceptionBus and the row is handed back for another pass (with backoff):
 * every handler of the event sees it again, so handlers stay idempotent by event_id.
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
  /** Published rows, marked in batches; a row handed back meanwhile (redeliveries moved) stays unpublished. */
  private readonly marks = new GroupCommit<OutboxRecord, void>(async (records) => {
    await prepared(
      this.dataSource,
      `UPDATE outbox o SET published_at = now(), next_attempt_at = NULL
       FROM unnest($1::uuid[], $2::int[]) AS u(event_id, redeliveries)
       WHERE o.event_id = u.event_id AND o.redeliveries = u.redeliveries AND o.published_at IS NULL`,
      [records.map((r) => r.event_id), records.map((r) => r.redeliveries)],
    );
    return records.map(() => ({ value: undefined }));
  }, MARKS);

  constructor(
    private readonly dataSource: DataSource,
    private readonly eventBus: EventBus,
    private readonly unhandled: UnhandledExceptionBus,
    private readonly committed: CommittedEvents,
  ) {}

  onApplicationBootstrap(): void {
    this.failures = this.unhandled.subscribe(({ cause, exception }) => {
      if (!(cause instanceof OutboxEvent) || this.stopped) return;
      const done = this.handBack(cause, exception).finally(() => this.handingBack.delete(done));
      this.handingBack.add(done);
    });
    this.committed.publishWith((records) => this.publish(records));
    this.schedule();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.committed.publishWith(undefined);
    clearTimeout(this.timer);
    await this.running;
    this.failures?.unsubscribe();
    await Promise.all(this.handingBack);
    await this.marks.idle();
  }

  /** Marks the event's row unpublished again, due after a backoff. */
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

  /** One pass: claims and publishes everything due; returns the number of events published. */
  async pass(): Promise<number> {
    let total = 0;
    for (;;) {
      const rows = await prepared<OutboxRecord & { id: string; created_at: Date }>(
        this.dataSource,
        `UPDATE outbox o SET next_attempt_at = ${LEASED_UNTIL}
         FROM (SELECT id FROM outbox
               WHERE published_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= now())
               ORDER BY id LIMIT ${BATCH} FOR UPDATE SKIP LOCKED) due
         WHERE o.id = due.id
         RETURNING o.id::text, o.event_id, o.event_type, o.payload, o.created_at, o.redeliveries`,
      );
      rows.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
      this.publish(rows);
      total += rows.length;
      if (rows.length < BATCH) break;
    }
    if (Date.now() - this.lastCleanup > 60_000) {
      this.lastCleanup = Date.now();
      await this.dataSource.query(`DELETE FROM outbox WHERE published_at < now() - ${RETENTION}`);
    }
    return total;
  }

  /**
   * To the bus (one instance per class registered for the type), then marked published.
   * Rows of external types were written published: nothing to do for them.
   */
  private publish(records: (OutboxRecord & { created_at?: Date })[]): void {
    const now = new Date();
    for (const row of records) {
      if (isExternalOutboxEvent(row.event_type)) continue;
      for (const EventClass of outboxEventClasses(row.event_type)) {
        this.eventBus.publish(new EventClass(row.payload as never, row.event_id, row.created_at ?? now));
      }
      this.marks
        .submit(row)
        .catch((error) =>
          this.logger.warn(
            { err: error, event_id: row.event_id },
            'could not mark an event published (its lease will run out)',
          ),
        );
    }
  }
}
