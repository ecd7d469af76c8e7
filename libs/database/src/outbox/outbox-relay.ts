import { Injectable, Logger, OnApplicationBootstrap, BeforeApplicationShutdown } from '@nestjs/common';
import { EventBus } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { outboxEventClasses } from './outbox-event';

const POLL_MS = 50;
const BATCH = 500;
const RETENTION = "interval '1 hour'";

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
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private lastCleanup = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly eventBus: EventBus,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
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
           WHERE published_at IS NULL ORDER BY id LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`,
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
