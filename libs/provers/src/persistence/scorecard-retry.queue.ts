import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@tally/database';
import type { ScorecardUpdateEvent } from '../domain';

export interface QueuedScorecardUpdate {
  event_id: string;
  payload: ScorecardUpdateEvent;
  attempts: number;
  created_at: Date;
}

/** How long a claimed retry is hidden from other replicas while one handles it. */
const LEASE_SECONDS = 30;

/**
 * Score events the persistor gave up on (too many version conflicts), kept for
 * redelivery: the outbox relay publishes each event once, so this is where "the event
 * stays for redelivery" lives. Claims are leases, safe with several replicas.
 */
@Injectable()
export class ScorecardRetryQueue {
  constructor(private readonly uow: UnitOfWork) {}

  /** Queues the event, or counts another failed attempt; the next try backs off 1, 2, 4 … 60 s. */
  async enqueue(event: ScorecardUpdateEvent, error: string): Promise<void> {
    await this.uow.tx.query(
      `INSERT INTO scorecard_retries (event_id, prover_id, payload, last_error, next_attempt_at)
       VALUES ($1, $2, $3, $4, now() + interval '1 second')
       ON CONFLICT (event_id) DO UPDATE SET attempts = scorecard_retries.attempts + 1, last_error = EXCLUDED.last_error,
         next_attempt_at = now() + make_interval(secs => LEAST(60, power(2, scorecard_retries.attempts)))`,
      [event.event_id, event.prover_id, JSON.stringify(event), error.slice(0, 1024)],
    );
  }

  /** Leases up to `limit` due events (oldest due first). */
  async claimDue(limit: number): Promise<QueuedScorecardUpdate[]> {
    const [rows] = await this.uow.tx.query(
      `UPDATE scorecard_retries SET next_attempt_at = now() + make_interval(secs => ${LEASE_SECONDS})
       WHERE event_id IN (SELECT event_id FROM scorecard_retries WHERE next_attempt_at <= now()
                          ORDER BY next_attempt_at, event_id LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING event_id, payload, attempts, created_at`,
      [limit],
    );
    return rows;
  }

  async remove(eventId: string): Promise<void> {
    await this.uow.tx.query(`DELETE FROM scorecard_retries WHERE event_id = $1`, [eventId]);
  }

  async size(): Promise<number> {
    const [row] = await this.uow.tx.query(`SELECT count(*)::int AS n FROM scorecard_retries`);
    return row.n;
  }
}
