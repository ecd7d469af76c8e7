import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@tally/database';
import type { SinkAck } from '../domain';

/** How long a claimed delivery is held; past it another replica may retry the batch. */
const LEASE_SECONDS = 60;

export interface ClaimedDelivery {
  batch_no: number;
  attempts: number;
  token: string;
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

/** One sink's delivery of one batch. */
export interface BatchDeliveryRow {
  sink: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  last_error: string | null;
  delivered_at: Date | null;
}

/** Per-sink delivery status of sealed batches. */
@Injectable()
export class DeliveryRepository {
  constructor(private readonly uow: UnitOfWork) {}

  /**
   * Claims the sink's oldest undelivered batch when it is due and nobody holds it: batches
   * go out strictly in order. One short statement: the caller then delivers without a
   * connection or a transaction open (a long transaction would also hold the seal
   * horizon back), and another replica skips the batch until the lease ends. Due is by
   * the app's Clock (`now`); the lease by the database's, which every replica shares.
   */
  async claim(sink: string, token: string, now: Date): Promise<ClaimedDelivery | null> {
    const [rows]: [{ batch_no: string; attempts: number }[], number] = await this.uow.tx.query(
      `UPDATE settlement_deliveries d
          SET lease_token = $2, lease_until = now() + make_interval(secs => $3)
        WHERE d.sink = $1
          AND d.batch_no = (SELECT o.batch_no FROM settlement_deliveries o
                             WHERE o.sink = $1 AND o.status <> 'delivered' ORDER BY o.batch_no LIMIT 1)
          AND d.next_attempt_at <= $4
          AND (d.lease_until IS NULL OR d.lease_until < now())
       RETURNING d.batch_no::text, d.attempts`,
      [sink, token, LEASE_SECONDS, now],
    );
    const row = rows[0];
    return row ? { batch_no: Number(row.batch_no), attempts: row.attempts, token } : null;
  }

  /**
   * Records the delivery with what the sink acknowledged, and ends the lease (only the
   * lease's holder can). Whether it was this call that recorded it.
   */
  async markDelivered(sink: string, claim: ClaimedDelivery, ack: SinkAck, now: Date): Promise<boolean> {
    const [, count]: [unknown, number] = await this.uow.tx.query(
      `UPDATE settlement_deliveries SET status = 'delivered', attempts = attempts + 1, delivered_at = $4,
              last_error = NULL, lease_token = NULL, lease_until = NULL,
              ack_batch_hash = $5, ack_transfers_root = $6, ack_balances_root = $7
       WHERE sink = $1 AND batch_no = $2 AND lease_token = $3`,
      [
        sink,
        claim.batch_no,
        claim.token,
        now,
        ack.batch_hash.slice(0, 64),
        ack.transfers_root.slice(0, 64),
        ack.balances_root.slice(0, 64),
      ],
    );
    return count > 0;
  }

  async markFailed(sink: string, claim: ClaimedDelivery, error: string, retryAt: Date): Promise<void> {
    await this.uow.tx.query(
      `UPDATE settlement_deliveries SET status = 'failed', attempts = attempts + 1, last_error = $4,
              next_attempt_at = $5, lease_token = NULL, lease_until = NULL
       WHERE sink = $1 AND batch_no = $2 AND lease_token = $3`,
      [sink, claim.batch_no, claim.token, error.slice(0, 2000), retryAt],
    );
  }

  /**
   * Queues for `fallback`, in batch order, each batch the primary lacks that no fallback
   * holds or waits for yet. Idempotent (the primary key), so replicas may race on it.
   */
  async enqueueFallback(primary: string, fallback: string, fallbacks: string[], now: Date): Promise<number> {
    const [, count]: [unknown, number] = await this.uow.tx.query(
      `INSERT INTO settlement_deliveries (sink, batch_no, next_attempt_at)
       SELECT $2::varchar, p.batch_no, $4::timestamptz FROM settlement_deliveries p
        WHERE p.sink = $1 AND p.status <> 'delivered'
          AND NOT EXISTS (SELECT 1 FROM settlement_deliveries f
                           WHERE f.batch_no = p.batch_no AND f.sink = ANY($3::varchar[])
                             AND (f.status = 'delivered' OR f.sink = $2::varchar))
        ORDER BY p.batch_no
       ON CONFLICT (sink, batch_no) DO NOTHING`,
      [primary, fallback, fallbacks, now],
    );
    return count;
  }

  /**
   * Batches the primary now holds (it takes them in order: up to `batchNo`) need no
   * fallback any more: what a fallback still waits to deliver of them is dropped (what a
   * fallback holds already stays, and so does a delivery in flight).
   */
  async dropFallbackWaits(batchNo: number, fallbacks: string[]): Promise<void> {
    await this.uow.tx.query(
      `DELETE FROM settlement_deliveries
        WHERE batch_no <= $1 AND sink = ANY($2::varchar[]) AND status <> 'delivered'
          AND (lease_until IS NULL OR lease_until < now())`,
      [batchNo, fallbacks],
    );
  }

  /** How many batches the sink has not acknowledged yet. */
  async openCount(sink: string): Promise<number> {
    const rows: { n: number }[] = await this.uow.tx.query(
      `SELECT count(*)::int AS n FROM settlement_deliveries WHERE sink = $1 AND status <> 'delivered'`,
      [sink],
    );
    return rows[0].n;
  }

  /** Makes the sink's waiting batches due now (a reconcile asked for does not wait out the backoff). */
  async makeDue(sink: string, now: Date): Promise<void> {
    await this.uow.tx.query(
      `UPDATE settlement_deliveries SET next_attempt_at = $2 WHERE sink = $1 AND status <> 'delivered' AND next_attempt_at > $2`,
      [sink, now],
    );
  }

  async status(): Promise<SinkStatusRow[]> {
    const rows: Record<string, unknown>[] = await this.uow.tx.query(`
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

  /** Each sink's delivery of the batch (the sinks it was queued for), by sink name. */
  batchDeliveries(batchNo: number): Promise<BatchDeliveryRow[]> {
    return this.uow.tx.query(
      `SELECT sink, status AS state, attempts, last_error, delivered_at FROM settlement_deliveries
       WHERE batch_no = $1 ORDER BY sink`,
      [batchNo],
    );
  }
}
