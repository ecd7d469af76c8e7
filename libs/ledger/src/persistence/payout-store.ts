import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@tally/database';
import { type Payout, PAYOUT_MOVES, type PayoutMove, type PayoutStatus } from '../domain';

const COLUMNS = `id::text, prover_id, amount_micros::text, status, hold_id::text, external_ref, reason, created_at,
  resolved_at, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at`;

interface PayoutRow {
  id: string;
  prover_id: string;
  amount_micros: string;
  status: PayoutStatus;
  hold_id: string;
  external_ref: string | null;
  reason: string | null;
  created_at: Date;
  resolved_at: Date | null;
  cursor_at: string;
}

/** A payout, and where a page of them ends: its created_at to the microsecond, as stored. */
export type ListedPayout = Payout & { cursorAt: string };

const toPayout = (r: PayoutRow): ListedPayout => ({
  id: r.id,
  proverId: r.prover_id,
  amountMicros: BigInt(r.amount_micros),
  status: r.status,
  holdId: r.hold_id,
  externalRef: r.external_ref,
  reason: r.reason,
  createdAt: new Date(r.created_at).toISOString(),
  resolvedAt: r.resolved_at && new Date(r.resolved_at).toISOString(),
  cursorAt: r.cursor_at,
});

/** The payouts table, in the current transaction (the one its hold is posted in). */
@Injectable()
export class PayoutStore {
  constructor(private readonly uow: UnitOfWork) {}

  async insert(p: { id: string; proverId: string; amountMicros: bigint; holdId: string }): Promise<Payout> {
    const rows = await this.uow.prepared<PayoutRow>(
      `INSERT INTO payouts (id, prover_id, amount_micros, hold_id) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
      [p.id, p.proverId, p.amountMicros.toString(), p.holdId],
    );
    return toPayout(rows[0]);
  }

  async byHold(holdId: string): Promise<Payout | undefined> {
    const rows = await this.uow.prepared<PayoutRow>(`SELECT ${COLUMNS} FROM payouts WHERE hold_id = $1`, [holdId]);
    return rows[0] && toPayout(rows[0]);
  }

  /** The prover's payout, locked until the transaction ends: a confirm and a fail take turns. */
  async lock(proverId: string, id: string): Promise<Payout | undefined> {
    const rows = await this.uow.prepared<PayoutRow>(
      `SELECT ${COLUMNS} FROM payouts WHERE id = $1 AND prover_id = $2 FOR UPDATE`,
      [id, proverId],
    );
    return rows[0] && toPayout(rows[0]);
  }

  /** Makes `move`, guarded by the states it leaves (PAYOUT_MOVES); undefined if the payout is in none of them. */
  async move(id: string, move: PayoutMove, note: string): Promise<Payout | undefined> {
    const { from, to } = PAYOUT_MOVES[move];
    const rows = await this.uow.prepared<PayoutRow>(
      `UPDATE payouts SET status = $2, external_ref = $3, reason = $4, resolved_at = now()
        WHERE id = $1 AND status = ANY($5::text[]) RETURNING ${COLUMNS}`,
      [id, to, move === 'confirm' ? note : null, move === 'fail' ? note : null, [...from]],
    );
    return rows[0] && toPayout(rows[0]);
  }

  /** Payouts newest first, of one prover and/or in one state, after a keyset cursor. */
  async list(f: {
    proverId?: string;
    status?: PayoutStatus;
    before?: { at: string; id: string };
    limit: number;
  }): Promise<ListedPayout[]> {
    const params: unknown[] = [];
    const p = (v: unknown) => `$${params.push(v)}`;
    const where: string[] = [];
    if (f.proverId !== undefined) where.push(`prover_id = ${p(f.proverId)}`);
    if (f.status !== undefined) where.push(`status = ${p(f.status)}`);
    if (f.before) where.push(`(created_at, id) < (${p(f.before.at)}::timestamptz, ${p(f.before.id)}::uuid)`);
    const rows: PayoutRow[] = await this.uow.tx.query(
      `SELECT ${COLUMNS} FROM payouts ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY created_at DESC, id DESC LIMIT ${p(f.limit)}`,
      params,
    );
    return rows.map(toPayout);
  }
}
