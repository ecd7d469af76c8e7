import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@tally/database';
import { canonicalJson, Clock } from '@tally/shared';
import {
  CONTROL_LOG_GENESIS,
  controlLogHash,
  type ControlAction,
  type ControlLogRow,
  type ControlOutcome,
} from '../domain/control-log';

/** Serialises appends across replicas for the rest of the transaction (one chain, no forks). */
const CONTROL_LOG_LOCK = `hashtext('control_log')`;

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
   * Appends one row in the current transaction. The transaction-scoped advisory lock makes
   * appends one at a time, and, read committed, the head read after it sees the row the
   * previous holder committed; the lock is held until this transaction ends, so the row
   * commits (or vanishes) together with the action.
   */
  async append(action: ControlAction, outcome: ControlOutcome): Promise<ControlLogRow> {
    const m = this.uow.tx;
    await m.query(`SELECT pg_advisory_xact_lock(${CONTROL_LOG_LOCK})`);
    const [head] = (await m.query(
      `SELECT seq::text AS seq, hash FROM control_log ORDER BY control_log.seq DESC LIMIT 1`,
    )) as {
      seq: string;
      hash: string;
    }[];
    const unhashed: Omit<ControlLogRow, 'hash'> = {
      seq: (BigInt(head?.seq ?? '0') + 1n).toString(),
      at: this.clock.now(),
      actorKeyId: action.actor.keyId,
      actorRole: action.actor.role,
      actorSubject: action.actor.subject,
      action: action.action,
      fields: canonicalJson(action.fields),
      outcome: outcome.outcome,
      errorCode: outcome.outcome === 'rejected' ? outcome.code : null,
      prevHash: head?.hash ?? CONTROL_LOG_GENESIS,
    };
    const row: ControlLogRow = { ...unhashed, hash: controlLogHash(unhashed) };
    await m.query(
      `INSERT INTO control_log (seq, at, actor_key_id, actor_role, actor_subject, action, fields, outcome, error_code, prev_hash, hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        row.seq,
        row.at,
        row.actorKeyId,
        row.actorRole,
        row.actorSubject,
        row.action,
        row.fields,
        row.outcome,
        row.errorCode,
        row.prevHash,
        row.hash,
      ],
    );
    return row;
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

  /** A page of the whole chain after `afterSeq`, for verification. */
  async chainPage(afterSeq: string, limit: number): Promise<ControlLogRow[]> {
    const rows = (await this.uow.tx.query(
      `SELECT ${COLUMNS} FROM control_log WHERE seq > $1 ORDER BY control_log.seq LIMIT $2`,
      [afterSeq, limit],
    )) as ControlLogRow[];
    return rows.map(normalise);
  }
}

/** char(64) columns come back as they went in; the driver gives `at` as a Date (PGlite too). */
function normalise(row: ControlLogRow): ControlLogRow {
  return { ...row, at: row.at instanceof Date ? row.at : new Date(row.at) };
}
