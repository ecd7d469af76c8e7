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
}
