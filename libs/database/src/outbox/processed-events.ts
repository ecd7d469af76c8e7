import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '../unit-of-work';
import { LEASED_UNTIL, NewOutboxEvent, OutboxWriter, recordOf } from './outbox-writer';
import { outboxPublishedAtSql } from './outbox-event';

/**
 * The statement (a CTE body) that records events as handled by a handler: `handler` and
 * `eventIds` are the placeholders of its name and a uuid[]; it returns the ids recorded now
 * (an event handled before is left out).
 */
export const recordHandled = (handler: string, eventIds: string) =>
  `INSERT INTO processed_events (handler, event_id) SELECT ${handler}, unnest(${eventIds}::uuid[])
   ON CONFLICT DO NOTHING RETURNING event_id`;

/**
 * Makes event handlers idempotent: the record that a handler handled an event commits with
 * its work (in the same statement), so a redelivered event is skipped.
 */
@Injectable()
export class ProcessedEvents {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly outbox: OutboxWriter,
  ) {}

  /** Which of these events `handler` has handled already (a plain read). */
  async handled(handler: string, eventIds: string[]): Promise<Set<string>> {
    const rows = await this.uow.prepared<{ event_id: string }>(
      `SELECT event_id::text FROM processed_events WHERE handler = $1 AND event_id = ANY($2::uuid[])`,
      [handler, eventIds],
    );
    return new Set(rows.map((r) => r.event_id));
  }

  /**
   * A batch of events handled at once, in one statement: each is recorded as handled by
   * `handler` and, only if it was not handled before, its outbox events are appended
   * (leased to this process's relay, as the OutboxWriter's are). Returns the ids of the
   * events handled now; the others were duplicates and appended nothing.
   */
  async recordWithEvents(handler: string, items: { eventId: string; emits: NewOutboxEvent[] }[]): Promise<Set<string>> {
    const emitted = items.flatMap((item) =>
      item.emits.map((e) => ({ source: item.eventId, partitionKey: e.partitionKey, record: recordOf(e) })),
    );
    const rows = await this.uow.prepared<{ event_id: string }>(
      `WITH handled AS (${recordHandled('$1', '$2')}),
       appended AS (
         INSERT INTO outbox (event_id, event_type, partition_key, payload, next_attempt_at, published_at)
         SELECT u.event_id, u.event_type, u.partition_key, u.payload, ${LEASED_UNTIL},
                ${outboxPublishedAtSql('u.event_type')}
         FROM unnest($3::uuid[], $4::uuid[], $5::varchar[], $6::varchar[], $7::jsonb[])
              AS u(source, event_id, event_type, partition_key, payload)
         WHERE u.source IN (SELECT event_id FROM handled)
         RETURNING 1)
       SELECT event_id::text, (SELECT count(*) FROM appended) AS appended FROM handled`,
      [
        handler,
        [...new Set(items.map((i) => i.eventId))],
        emitted.map((e) => e.source),
        emitted.map((e) => e.record.event_id),
        emitted.map((e) => e.record.event_type),
        emitted.map((e) => e.partitionKey),
        emitted.map((e) => JSON.stringify(e.record.payload)),
      ],
    );
    const now = new Set(rows.map((r) => r.event_id));
    this.outbox.written(emitted.filter((e) => now.has(e.source)).map((e) => e.record));
    return now;
  }
}
