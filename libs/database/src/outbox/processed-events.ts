import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '../unit-of-work';
import type { OutboxEvent } from './outbox-event';

/**
 * Makes an event handler idempotent: its work and the record that it handled the event
 * commit together, so a redelivered event is skipped.
 */
@Injectable()
export class ProcessedEvents {
  constructor(private readonly uow: UnitOfWork) {}

  /** Runs `work` once per (handler, event); returns false when the event was handled before. */
  once(handler: string, event: OutboxEvent<object>, work: () => Promise<void>): Promise<boolean> {
    return this.uow.run(async () => {
      const inserted: unknown[] = await this.uow.tx.query(
        `INSERT INTO processed_events (handler, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING event_id`,
        [handler, event.eventId],
      );
      if (inserted.length === 0) return false;
      await work();
      return true;
    });
  }
}
