import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@tally/database';
import type { FailoverState } from '../domain';

export interface FailoverRow {
  state: FailoverState;
  reason: string | null;
  since: Date;
  last_fallback_at: Date | null;
}

export interface SinkHealthRow {
  sink: string;
  consecutive_failures: number;
  consecutive_successes: number;
  last_success_at: Date | null;
  last_failure_at: Date | null;
  last_error: string | null;
}

export interface PendingRow {
  batch_no: number;
  batch_hash: string;
  held_by: string[];
  stored_at: Date | null;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
}

export interface AckMismatchRow {
  sink: string;
  batch_no: number;
  field: 'batch_hash' | 'transfers_root' | 'balances_root';
  expected: string | null;
  acknowledged: string;
}

/** The chain's failover state and each sink's health: one row each, moved under row locks. */
@Injectable()
export class FailoverRepository {
  constructor(private readonly uow: UnitOfWork) {}

  /** The chain's state row; `lock` holds it for the transaction (every transition takes it first). */
  async state(lock = false): Promise<FailoverRow> {
    const rows: FailoverRow[] = await this.uow.tx.query(
      `SELECT state, reason, since, last_fallback_at FROM settlement_failover WHERE id = 1${lock ? ' FOR UPDATE' : ''}`,
    );
    return rows[0];
  }

  async setState(state: FailoverState, reason: string, now: Date, fallback: boolean): Promise<void> {
    await this.uow.tx.query(
      `UPDATE settlement_failover SET state = $1, reason = $2, since = $3::timestamptz,
              last_fallback_at = CASE WHEN $4::boolean THEN $3::timestamptz ELSE last_fallback_at END
        WHERE id = 1`,
      [state, reason, now, fallback],
    );
  }

  /** Counts one attempt on the sink (a success resets its failures and the reverse); its counters after. */
  async record(sink: string, ok: boolean, error: string | null, now: Date): Promise<SinkHealthRow> {
    const rows: SinkHealthRow[] = await this.uow.tx.query(
      `INSERT INTO settlement_sink_health AS h
              (sink, consecutive_failures, consecutive_successes, last_success_at, last_failure_at, last_error)
       VALUES ($1::varchar, CASE WHEN $2::boolean THEN 0 ELSE 1 END, CASE WHEN $2::boolean THEN 1 ELSE 0 END,
               CASE WHEN $2::boolean THEN $4::timestamptz END, CASE WHEN $2::boolean THEN NULL ELSE $4::timestamptz END, $3::text)
       ON CONFLICT (sink) DO UPDATE SET
         consecutive_failures = CASE WHEN $2::boolean THEN 0 ELSE h.consecutive_failures + 1 END,
         consecutive_successes = CASE WHEN $2::boolean THEN h.consecutive_successes + 1 ELSE 0 END,
         last_success_at = CASE WHEN $2::boolean THEN $4::timestamptz ELSE h.last_success_at END,
         last_failure_at = CASE WHEN $2::boolean THEN h.last_failure_at ELSE $4::timestamptz END,
         last_error = CASE WHEN $2::boolean THEN h.last_error ELSE $3::text END
       RETURNING sink, consecutive_failures, consecutive_successes, last_success_at, last_failure_at, last_error`,
      [sink, ok, error?.slice(0, 2000) ?? null, now],
    );
    return rows[0];
  }

  async health(sink: string): Promise<SinkHealthRow | null> {
    const rows: SinkHealthRow[] = await this.uow.tx.query(
      `SELECT sink, consecutive_failures, consecutive_successes, last_success_at, last_failure_at, last_error
         FROM settlement_sink_health WHERE sink = $1`,
      [sink],
    );
    return rows[0] ?? null;
  }

  /** The batches the primary lacks, in batch order, each with the fallbacks that hold it. */
  async pending(primary: string, fallbacks: string[], limit: number): Promise<PendingRow[]> {
    const rows: Record<string, unknown>[] = await this.uow.tx.query(
      `SELECT p.batch_no::text, b.batch_hash::text, p.attempts, p.next_attempt_at, p.last_error,
              coalesce(array_agg(f.sink ORDER BY f.sink) FILTER (WHERE f.sink IS NOT NULL), '{}') AS held_by,
              min(f.delivered_at) AS stored_at
         FROM settlement_deliveries p
         JOIN settlement_batches b ON b.batch_no = p.batch_no
         LEFT JOIN settlement_deliveries f
           ON f.batch_no = p.batch_no AND f.sink = ANY($2::varchar[]) AND f.status = 'delivered'
        WHERE p.sink = $1 AND p.status <> 'delivered'
        GROUP BY p.batch_no, b.batch_hash, p.attempts, p.next_attempt_at, p.last_error
        ORDER BY p.batch_no
        LIMIT $3`,
      [primary, fallbacks, limit],
    );
    return rows.map((r) => ({
      batch_no: Number(r.batch_no),
      batch_hash: r.batch_hash as string,
      held_by: r.held_by as string[],
      stored_at: (r.stored_at as Date | null) ?? null,
      attempts: r.attempts as number,
      next_attempt_at: r.next_attempt_at as Date,
      last_error: (r.last_error as string | null) ?? null,
    }));
  }

  /** How many acknowledged deliveries there are to check. */
  async ackCount(): Promise<number> {
    const rows: { n: number }[] = await this.uow.tx.query(
      `SELECT count(*)::int AS n FROM settlement_deliveries WHERE status = 'delivered' AND ack_batch_hash IS NOT NULL`,
    );
    return rows[0].n;
  }

  /** Acks that differ from the sealed batch they name (a delivery row always names one: a foreign key), in batch order. */
  async ackMismatches(limit: number): Promise<AckMismatchRow[]> {
    const rows: Record<string, unknown>[] = await this.uow.tx.query(
      `SELECT d.sink, d.batch_no::text, x.field, x.expected, x.acknowledged
         FROM settlement_deliveries d
         JOIN settlement_batches b ON b.batch_no = d.batch_no
         CROSS JOIN LATERAL (VALUES
           ('batch_hash', b.batch_hash::text, d.ack_batch_hash::text, b.batch_hash::text IS DISTINCT FROM d.ack_batch_hash),
           ('transfers_root', b.transfers_root::text, d.ack_transfers_root::text, b.transfers_root::text IS DISTINCT FROM d.ack_transfers_root),
           ('balances_root', b.balances_root::text, d.ack_balances_root::text, b.balances_root::text IS DISTINCT FROM d.ack_balances_root)
         ) AS x(field, expected, acknowledged, differs)
        WHERE d.status = 'delivered' AND d.ack_batch_hash IS NOT NULL AND x.differs
        ORDER BY d.batch_no, d.sink, x.field
        LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({
      sink: r.sink as string,
      batch_no: Number(r.batch_no),
      field: r.field as AckMismatchRow['field'],
      expected: (r.expected as string | null) ?? null,
      acknowledged: r.acknowledged as string,
    }));
  }

  /**
   * The primary's order and completeness: batches it holds after one it lacks, or took
   * before a lower one (out of order), and sealed batches since its first with no
   * delivery row for it (lost to it).
   */
  async primaryGaps(primary: string, limit: number): Promise<{ out_of_order: number[]; untracked: number[] }> {
    const outOfOrder: { batch_no: string }[] = await this.uow.tx.query(
      `SELECT batch_no::text FROM (
         SELECT d.batch_no, d.status, d.delivered_at,
                max(d.delivered_at) FILTER (WHERE d.status = 'delivered')
                  OVER (ORDER BY d.batch_no ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before_max,
                bool_or(d.status <> 'delivered')
                  OVER (ORDER BY d.batch_no ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS gap_before
           FROM settlement_deliveries d WHERE d.sink = $1) w
        WHERE w.status = 'delivered' AND (w.gap_before OR w.delivered_at < w.before_max)
        ORDER BY batch_no LIMIT $2`,
      [primary, limit],
    );
    const untracked: { batch_no: string }[] = await this.uow.tx.query(
      `SELECT b.batch_no::text FROM settlement_batches b
        WHERE b.batch_no >= (SELECT min(d.batch_no) FROM settlement_deliveries d WHERE d.sink = $1)
          AND NOT EXISTS (SELECT 1 FROM settlement_deliveries d WHERE d.sink = $1 AND d.batch_no = b.batch_no)
        ORDER BY b.batch_no LIMIT $2`,
      [primary, limit],
    );
    return {
      out_of_order: outOfOrder.map((r) => Number(r.batch_no)),
      untracked: untracked.map((r) => Number(r.batch_no)),
    };
  }
}
