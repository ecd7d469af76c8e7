import type { OutboxFeedRow } from '@tally/database';

/** The public envelope of an outbox row (the same JSON on every transport). */
export function publicEventOf(row: OutboxFeedRow) {
  return {
    event_id: row.event_id,
    type: row.event_type,
    sequence: row.id,
    occurred_at: row.created_at.toISOString(),
    data: row.payload,
  };
}
