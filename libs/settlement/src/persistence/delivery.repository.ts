import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

/** Namespace of the per-sink advisory locks (the sink name is the second key). */
const DELIVERY_LOCK = 0x7a11_5e02;

export interface OpenDelivery {
  batch_no: number;
  attempts: number;
  due: boolean;
}

export interface SinkStatusRow {
  sink: string;
  pending: number;
  failed: number;
  last_delivered_batch_no: number | null;
  last_delivered_at: Date | null;
  next_batch_no: number | null;
  next_attempt_at: Date | null;
  attempts: number | null;
  last_error: string | null;
}

/** Per-sink delivery status of sealed batches. */
@Injectable()
export class DeliveryRepository {
  constructor(private readonly dataSource: DataSource) {}

  transaction<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /** True when this transaction delivers for `sink` (no other replica is doing so right now). */
  async tryLockSink(m: EntityManager, sink: string): Promise<boolean> {
    const [row] = await m.query(`SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS locked`, [DELIVERY_LOCK, sink]);
    return row.locked === true;
  }

  /**
   * The sink's oldest undelivered batch: batches go out strictly in order. Not FOR UPDATE:
   * the sink's advisory lock already keeps other replicas off, and a row lock would give
   * this transaction an id for the whole delivery, holding the seal horizon back.
   */
  async nextOpen(m: EntityManager, sink: string): Promise<OpenDelivery | null> {
    const rows: { batch_no: string; attempts: number; due: boolean }[] = await m.query(
      `SELECT d.batch_no::text, d.attempts, d.next_attempt_at <= now() AS due FROM settlement_deliveries d
       WHERE d.sink = $1 AND d.status <> 'delivered' ORDER BY d.batch_no LIMIT 1`,
      [sink],
    );
    return rows[0] ? { batch_no: Number(rows[0].batch_no), attempts: rows[0].attempts, due: rows[0].due } : null;
  }

  async markDelivered(m: EntityManager, sink: string, batchNo: number): Promise<void> {
    await m.query(
      `UPDATE settlement_deliveries SET status = 'delivered', attempts = attempts + 1, delivered_at = now(),
              last_error = NULL WHERE sink = $1 AND batch_no = $2`,
      [sink, batchNo],
    );
  }

  async markFailed(m: EntityManager, sink: string, batchNo: number, error: string, retryInMs: number): Promise<void> {
    await m.query(
      `UPDATE settlement_deliveries SET status = 'failed', attempts = attempts + 1, last_error = $3,
              next_attempt_at = now() + make_interval(secs => $4::double precision / 1000)
       WHERE sink = $1 AND batch_no = $2`,
      [sink, batchNo, error.slice(0, 2000), retryInMs],
    );
  }

  async status(): Promise<SinkStatusRow[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(`
      SELECT s.sink,
        (SELECT count(*) FROM settlement_deliveries d WHERE d.sink = s.sink AND d.status <> 'delivered')::int AS pending,
        (SELECT count(*) FROM settlement_deliveries d WHERE d.sink = s.sink AND d.status = 'failed')::int AS failed,
        l.batch_no::text AS last_delivered_batch_no, l.delivered_at AS last_delivered_at,
        n.batch_no::text AS next_batch_no, n.next_attempt_at, n.attempts, n.last_error
      FROM (SELECT DISTINCT sink FROM settlement_deliveries) s
      LEFT JOIN LATERAL (SELECT batch_no, delivered_at FROM settlement_deliveries d
                         WHERE d.sink = s.sink AND d.status = 'delivered' ORDER BY batch_no DESC LIMIT 1) l ON true
      LEFT JOIN LATERAL (SELECT batch_no, next_attempt_at, attempts, last_error FROM settlement_deliveries d
                         WHERE d.sink = s.sink AND d.status <> 'delivered' ORDER BY batch_no LIMIT 1) n ON true`);
    return rows.map((r) => ({
      sink: r.sink as string,
      pending: r.pending as number,
      failed: r.failed as number,
      last_delivered_batch_no: r.last_delivered_batch_no === null ? null : Number(r.last_delivered_batch_no),
      last_delivered_at: (r.last_delivered_at as Date | null) ?? null,
      next_batch_no: r.next_batch_no === null ? null : Number(r.next_batch_no),
      next_attempt_at: (r.next_attempt_at as Date | null) ?? null,
      attempts: (r.attempts as number | null) ?? null,
      last_error: (r.last_error as string | null) ?? null,
    }));
  }
}
