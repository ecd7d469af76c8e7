import { Injectable } from '@nestjs/common';
import { newId } from '@tally/shared';
import { CommittedEvents, OUTBOX_LEASE_SECONDS, OutboxRecord } from './committed-events';
import { outboxPublishedAtSql } from './outbox-event';
import { UnitOfWork } from '../unit-of-work';

/** An event to append to the outbox. */
export interface NewOutboxEvent {
  type: string;
  partitionKey: string;
  payload: object;
  eventId?: string;
}

/** The lease a row written here starts with (so the polling relay leaves it to this process). */
export const LEASED_UNTIL = `now() + make_interval(secs => ${OUTBOX_LEASE_SECONDS})`;

/**
 * For a statement whose outbox rows are drawn in SQL. `outboxInsertOf(select)` is the
 * INSERT (a CTE body) of the rows `select` gives as (event_type, partition_key, payload),
 * each with a new event id and leased like every row written here; `outboxRecordsOf(cte)`,
 * given the name of that CTE, is an expression for the rows as OutboxRecords (a JSON array,
 * or null when none), to hand to OutboxWriter.written once the statement has run.
 */
export const outboxInsertOf = (select: string) =>
  `INSERT INTO outbox (event_id, event_type, partition_key, payload, next_attempt_at, published_at)
   SELECT gen_random_uuid(), x.event_type, x.partition_key, x.payload, ${LEASED_UNTIL},
          ${outboxPublishedAtSql('x.event_type')}
   FROM (${select}) AS x(event_type, partition_key, payload)
   RETURNING event_id, event_type, payload`;

export const outboxRecordsOf = (cte: string) =>
  `(SELECT json_agg(json_build_object('event_id', event_id, 'event_type', event_type, 'payload', payload,
                                      'redeliveries', 0)) FROM ${cte})`;

/**
 * Appends domain events to the outbox in the current transaction. The rows are leased to
 * this process's relay, which publishes them right after the commit (CommittedEvents).
 */
@Injectable()
export class OutboxWriter {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly committed: CommittedEvents,
  ) {}

  /** Returns the event id handlers will deduplicate on. */
  async append(type: string, partitionKey: string, payload: object, eventId = newId()): Promise<string> {
    await this.appendMany([{ type, partitionKey, payload, eventId }]);
    return eventId;
  }

  /** Several events in one statement; returns their event ids in order. */
  async appendMany(events: NewOutboxEvent[]): Promise<string[]> {
    const insert = this.insertSql(events);
    if (events.length > 0) {
      const params: unknown[] = [];
      await this.uow.prepared(
        insert.sql((value) => `$${params.push(value)}`),
        params,
      );
      insert.written();
    }
    return insert.records.map((r) => r.event_id);
  }

  /**
   * For a statement that appends its events itself (an INSERT among its CTEs): `sql(p)`
   * gives that INSERT, its parameters pushed through `p`. Call `written()` once the
   * statement has run: the rows then go to this process's relay when the current
   * transaction commits (or at once, outside one), like `append`'s.
   */
  insertSql(events: NewOutboxEvent[]): {
    records: OutboxRecord[];
    sql: (p: (value: unknown) => string) => string;
    written: () => void;
  } {
    const records = events.map(recordOf);
    const sql = (p: (value: unknown) => string) =>
      `INSERT INTO outbox (event_id, event_type, partition_key, payload, next_attempt_at, published_at)
       SELECT u.*, ${LEASED_UNTIL}, ${outboxPublishedAtSql('u.event_type')}
       FROM unnest(${p(records.map((r) => r.event_id))}::uuid[], ${p(records.map((r) => r.event_type))}::varchar[],
                   ${p(events.map((e) => e.partitionKey))}::varchar[],
                   ${p(records.map((r) => JSON.stringify(r.payload)))}::jsonb[])
            AS u(event_id, event_type, partition_key, payload)
       RETURNING 1`;
    return { records, sql, written: () => this.written(records) };
  }

  /** Rows a statement of the caller's wrote (leased): to the relay when the transaction commits, or at once outside one. */
  written(records: OutboxRecord[]): void {
    if (this.uow.active) this.committed.add(this.uow.tx, records);
    else this.committed.publish(records);
  }
}

/** An event as an outbox row (its id drawn now when it has none). */
export function recordOf(e: NewOutboxEvent): OutboxRecord {
  return { event_id: e.eventId ?? newId(), event_type: e.type, payload: e.payload, redeliveries: 0 };
}
