import { Injectable } from '@nestjs/common';
import { newId } from '@tally/shared';
import { UnitOfWork } from '../unit-of-work';

/** Appends domain events to the outbox in the current transaction (published after commit). */
@Injectable()
export class OutboxWriter {
  constructor(private readonly uow: UnitOfWork) {}

  /** Returns the event id handlers will deduplicate on. */
  async append(type: string, partitionKey: string, payload: object, eventId = newId()): Promise<string> {
    await this.uow.tx.query(
      `INSERT INTO outbox (event_id, event_type, partition_key, payload) VALUES ($1, $2, $3, $4)`,
      [eventId, type, partitionKey, JSON.stringify(payload)],
    );
    return eventId;
  }

  /** Several events in one statement; returns their event ids in order. */
  async appendMany(events: { type: string; partitionKey: string; payload: object }[]): Promise<string[]> {
    const ids = events.map(() => newId());
    if (events.length === 0) return ids;
    await this.uow.tx.query(
      `INSERT INTO outbox (event_id, event_type, partition_key, payload)
       SELECT * FROM unnest($1::uuid[], $2::varchar[], $3::varchar[], $4::jsonb[])`,
      [ids, events.map((e) => e.type), events.map((e) => e.partitionKey), events.map((e) => JSON.stringify(e.payload))],
    );
    return ids;
  }
}
