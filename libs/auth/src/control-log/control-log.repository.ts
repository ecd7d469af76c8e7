import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@tally/database';
import { canonicalJson, Clock } from '@tally/shared';
import {
  type ChainedControlLogRow,
  CONTROL_LOG_GENESIS,
  type ControlAction,
  type ControlLogRow,
  type ControlOutcome,
} from '../domain/control-log';

// ORDER BY names control_log.seq: the bare name would sort by this text column.
const COLUMNS = `seq::text AS seq, at, actor_key_id AS "actorKeyId", actor_role AS "actorRole",
  actor_subject AS "actorSubject", action, fields, outcome, error_code AS "errorCode",
  prev_hash AS "prevHash", hash`;

export interface ControlLogFilter {
  action?: string;
  actorKeyId?: string;
  outcome?: 'ok' | 'rejected';
  from?: Date;
  to?: Date;
  /** Keyset page: rows after this seq. */
  afterSeq?: string;
  limit: number;
}

/** The control_log table, in the current transaction when there is one. */
@Injectable()
export class ControlLogRepository {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
  ) {}

  /**
   * Appends one row in the current transaction, so it commits (or vanishes) together with
   * the action. Its seq comes from a sequence and it is not chained yet (ControlLogChainer
   * does that once it commits): appends take no lock, and actions do not wait for each other.
   */
  async append(action: ControlAction, outcome: ControlOutcome): Promise<ControlLogRow> {
    const row: Omit<ControlLogRow, 'seq'> = {
      at: this.clock.now(),
      actorKeyId: action.actor.keyId,
      actorRole: action.actor.role,
      actorSubject: action.actor.subject,
      action: action.action,
      fields: canonicalJson(action.fields),
      outcome: outcome.outcome,
      errorCode: outcome.outcome === 'rejected' ? outcome.code : null,
      prevHash: null,
      hash: null,
    };
    const [{ seq }] = await this.uow.prepared<{ seq: string }>(
      `INSERT INTO control_log (at, actor_key_id, actor_role, actor_subject, action, fields, outcome, error_code)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING seq::text AS seq`,
      [row.at, row.actorKeyId, row.actorRole, row.actorSubject, row.action, row.fields, row.outcome, row.errorCode],
    );
    return { seq, ...row };
  }

  /** Rows in seq order (the chain's), filtered. */
  async list(filter: ControlLogFilter): Promise<ControlLogRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.action !== undefined) add('action = ?', filter.action);
    if (filter.actorKeyId !== undefined) add('actor_key_id = ?', filter.actorKeyId);
    if (filter.outcome !== undefined) add('outcome = ?', filter.outcome);
    if (filter.from !== undefined) add('at >= ?', filter.from);
    if (filter.to !== undefined) add('at < ?', filter.to);
    if (filter.afterSeq !== undefined) add('seq > ?', filter.afterSeq);
    params.push(filter.limit);
    const rows = (await this.uow.tx.query(
      `SELECT ${COLUMNS} FROM control_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY control_log.seq LIMIT $${params.length}`,
      params,
    )) as ControlLogRow[];
    return rows.map(normalise);
  }

  /** A page of the chained rows after `afterSeq`, for verification. */
  async chainPage(afterSeq: string, limit: number): Promise<ChainedControlLogRow[]> {
    const rows = (await this.uow.tx.query(
      `SELECT ${COLUMNS} FROM control_log WHERE seq > $1 AND hash IS NOT NULL ORDER BY control_log.seq LIMIT $2`,
      [afterSeq, limit],
    )) as ChainedControlLogRow[];
    return rows.map(normalise);
  }

  /** The rows not chained yet: how many, the lowest seq among them, the highest seq of all. */
  async unchained(): Promise<{ count: number; minSeq: string | null; maxSeq: string }> {
    const [row] = (await this.uow.tx.query(
      `SELECT count(*)::int AS count, min(seq)::text AS "minSeq",
              (SELECT COALESCE(max(seq), 0)::text FROM control_log) AS "maxSeq"
       FROM control_log WHERE hash IS NULL`,
    )) as { count: number; minSeq: string | null; maxSeq: string }[];
    return row;
  }

  /** The last chained row (the genesis before the first), in the current transaction. */
  async chainHead(): Promise<{ seq: string; hash: string }> {
    const [head] = (await this.uow.tx.query(
      `SELECT seq::text AS seq, hash FROM control_log WHERE hash IS NOT NULL ORDER BY control_log.seq DESC LIMIT 1`,
    )) as { seq: string; hash: string }[];
    return head ?? { seq: '0', hash: CONTROL_LOG_GENESIS };
  }

  /** Unchained rows after `afterSeq` up to `upToSeq`, in seq order, at most `limit`. */
  async unchainedPage(afterSeq: string, upToSeq: string, limit: number): Promise<ControlLogRow[]> {
    const rows = (await this.uow.tx.query(
      `SELECT ${COLUMNS} FROM control_log WHERE hash IS NULL AND seq > $1 AND seq <= $2
       ORDER BY control_log.seq LIMIT $3`,
      [afterSeq, upToSeq, limit],
    )) as ControlLogRow[];
    return rows.map(normalise);
  }

  /** Writes the hashes of rows just chained (the trigger lets only an unchained row's hashes change). */
  async setHashes(rows: ChainedControlLogRow[]): Promise<void> {
    await this.uow.tx.query(
      `UPDATE control_log c SET prev_hash = u.p, hash = u.h
       FROM unnest($1::bigint[], $2::text[], $3::text[]) AS u(s, p, h) WHERE c.seq = u.s AND c.hash IS NULL`,
      [rows.map((r) => r.seq), rows.map((r) => r.prevHash), rows.map((r) => r.hash)],
    );
  }
}

/** char(64) columns come back as they went in; the driver gives `at` as a Date (PGlite too). */
function normalise<R extends ControlLogRow>(row: R): R {
  return { ...row, at: row.at instanceof Date ? row.at : new Date(row.at) };
}
