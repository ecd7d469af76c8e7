import { Injectable, Logger, OnApplicationBootstrap, BeforeApplicationShutdown } from '@nestjs/common';
import { EventBus } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { Clock, GroupCommit, inSpan, LoopBackoff, TallyEnv } from '@tally/shared';
import { CommittedEvents, OutboxRecord } from './committed-events';
import { LEASED_UNTIL } from './outbox-writer';
import { isExternalOutboxEvent, OutboxEvent, outboxEventClasses } from './outbox-event';
import { prepared } from '../prepared';

const POLL_MS = 50;
const BATCH = 500;
/** Deliveries at work at once, beyond which the poll waits (rows written here still go at commit). */
const MAX_DELIVERING = 5000;
const RETENTION = "interval '1 hour'";
/** A row whose handler keeps throwing is handed back this many times (backoff 100 ms doubling, at most 5 min), then left. */
const MAX_REDELIVERIES = 20;
/** Published marks wait up to 50 ms for company: nobody waits on them, and a lease covers the gap. */
const MARKS = { lingerMs: 50, maxBatch: 2000 };

/**
 * Publishes committed outbox rows to the EventBus, at least once, in id order per
 * source. Rows this process wrote come straight from their transaction's commit
 * (CommittedEvents); everything else (other writers, other replicas, hand-backs, leases
 * that ran out, rows a crashed process had leased) is claimed by a poll every POLL_MS
 * with FOR UPDATE SKIP LOCKED, so any number of replicas can relay at once, and the
 * first poll runs as the process starts. A claim is a lease: a row is marked published
 * only once every handler's work for it has resolved (OutboxEventsHandler records that
 * work on the event), so a crash at any instant before that leaves the row unpublished,
 * and it is published again once its lease runs out. When a handler fails, the row is
 * handed back for another pass (with backoff): every handler of the event sees it again,
 * so handlers stay idempotent by event_id. A poll that fails (the database away) backs
 * off and resumes.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private lastCleanup = 0;
  /** Deliveries whose handlers are still at work (shutdown waits for them). */
  private readonly delivering = new Set<Promise<void>>();
  private readonly polls = new LoopBackoff('outbox relay poll', this.logger);
  /** Marks and hand-backs that could not be written: their leases run out and the rows come again. */
  private readonly bookkeeping = new LoopBackoff('outbox bookkeeping (leases cover it)', this.logger);
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
    // Not UnitOfWork: the relay's claims, marks and hand-backs are bookkeeping of their own,
    // run from commit hooks and handlers' callbacks; they must never join a transaction open there.
    private readonly dataSource: DataSource,
    private readonly eventBus: EventBus,
    private readonly committed: CommittedEvents,
    private readonly clock: Clock,
    private readonly env: TallyEnv,
  ) {}

  onApplicationBootstrap(): void {
    this.committed.publishWith((records) => this.publish(records));
    this.schedule();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.committed.publishWith(undefined);
    clearTimeout(this.timer);
    await this.running;
    await Promise.all(this.delivering);
    await this.marks.idle();
  }

  /**
   * The row's handlers failed: it is made due again after a backoff (the lease it holds
   * keeps other polls off it meanwhile), counting a redelivery.
   */
  private async handBack(row: OutboxRecord, name: string, exception: unknown): Promise<void> {
    try {
      const [rows]: [{ redeliveries: number }[], number] = await this.dataSource.query(
        `UPDATE outbox SET published_at = NULL, redeliveries = redeliveries + 1,
                next_attempt_at = now() + make_interval(secs => least(300, 0.1 * 2 ^ redeliveries))
         WHERE event_id = $1 AND redeliveries = $2 AND published_at IS NULL AND redeliveries < $3
         RETURNING redeliveries`,
        [row.event_id, row.redeliveries, MAX_REDELIVERIES],
      );
      const reason = exception instanceof Error ? exception.message : String(exception);
      if (rows.length > 0) {
        this.logger.warn(
          { event_id: row.event_id, redeliveries: rows[0].redeliveries, err: reason },
          `a handler of ${name} failed; the event will be published again`,
        );
      } else if (row.redeliveries >= MAX_REDELIVERIES) {
        await this.dataSource.query(
          `UPDATE outbox SET published_at = now(), next_attempt_at = NULL
           WHERE event_id = $1 AND redeliveries = $2 AND published_at IS NULL`,
          [row.event_id, row.redeliveries],
        );
        this.logger.error(
          { event_id: row.event_id, err: reason },
          `a handler of ${name} still fails after ${MAX_REDELIVERIES} redeliveries; left as published`,
        );
      }
      this.bookkeeping.succeeded();
    } catch (error) {
      this.bookkeeping.failed(error);
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.pass()
        .then(
          () => this.polls.succeeded(),
          (error: unknown) => this.polls.failed(error),
        )
        .finally(() => this.schedule());
    }, POLL_MS + this.polls.delayMs);
  }

  /** One pass: claims and publishes everything due; returns the number of events published. */
  async pass(): Promise<number> {
    let total = 0;
    // A poll claims no more than its handlers can take in one lease: rows whose deliveries are
    // still at work when their lease runs out are claimed again (harmless, but wasted).
    while (this.delivering.size + BATCH <= MAX_DELIVERING) {
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
      await this.cleanUp();
    }
    return total;
  }

  /**
   * Deletes rows published more than RETENTION ago. With a broker, a row stays until the
   * broker has it too (docs/events.md); and every row above the lowest cursor of
   * `outbox_cursors` stays until its follower has read it (a follower that lags loses nothing).
   */
  async cleanUp(): Promise<void> {
    const broker = this.env.EVENTS_NATS_URL === undefined ? '' : ' AND broker_published_at IS NOT NULL';
    await this.dataSource.query(
      `DELETE FROM outbox WHERE published_at < now() - ${RETENTION}${broker}
         AND id <= COALESCE((SELECT min(position) FROM outbox_cursors), id)`,
    );
  }

  /**
   * To the bus (one instance per class registered for the type); marked published once
   * every handler's work has resolved, handed back if any failed. Rows of external types
   * were written published: nothing to do for them.
   */
  private publish(records: (OutboxRecord & { created_at?: Date })[]): void {
    const now = this.clock.now();
    for (const row of records) {
      if (isExternalOutboxEvent(row.event_type)) continue;
      const events = outboxEventClasses(row.event_type).map(
        (EventClass) => new EventClass(row.payload as never, row.event_id, row.created_at ?? now),
      );
      // One span per row: its handlers' work (and their statements) nest under it.
      const attributes = { 'tally.outbox.event_type': row.event_type, 'tally.outbox.event_id': row.event_id };
      const delivery = inSpan('outbox.deliver', attributes, () => {
        for (const event of events) this.eventBus.publish(event);
        return this.settle(row, events);
      }).finally(() => this.delivering.delete(delivery));
      this.delivering.add(delivery);
    }
  }

  private async settle(row: OutboxRecord, events: OutboxEvent<object>[]): Promise<void> {
    const outcomes = await Promise.allSettled(events.flatMap((event) => event.handling));
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) {
      const name = events.map((e) => e.constructor.name).join(', ') || row.event_type;
      return this.handBack(row, name, failed.reason);
    }
    try {
      await this.marks.submit(row);
      this.bookkeeping.succeeded();
    } catch (error) {
      this.bookkeeping.failed(error);
    }
  }
}
