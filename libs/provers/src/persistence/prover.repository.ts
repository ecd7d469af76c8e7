import { Injectable } from '@nestjs/common';
import { recordHandled, sqlIn, sqlLiteral, UnitOfWork } from '@tally/database';
import {
  INITIAL_PROVER_STATE,
  OFFLINE_STATE,
  PROVER_MOVES,
  PROVER_STATES,
  statesLeftBy,
  type HardwareProfile,
  type ProverCapabilities,
  type ProverEvent,
  type ProverMove,
  type ProverState,
} from '../domain';

export interface ProverRow {
  prover_id: string;
  hardware_profile: Partial<HardwareProfile>;
  capabilities: Partial<ProverCapabilities>;
  region: string | null;
  max_concurrency: number;
  /** numeric(7, 6) as text. */
  load_factor: string;
  state: ProverState;
  /** numeric(12, 6) as text: the stored score, before idle decay. */
  score_value: string;
  successful_jobs: string;
  failed_jobs: string;
  version: string;
  last_heartbeat: Date | null;
  last_scored_at: Date | null;
  registered_at: Date;
  cancellations_seen_at: Date | null;
}

/** A score event applied to a scorecard: the version it was read at and the one it makes. */
export interface ScoreWrite {
  proverId: string;
  eventId: string;
  readVersion: number;
  version: number;
  score: string;
  deltaSuccess: number;
  deltaFailure: number;
  scoredAt: Date;
}

export interface ProverRegistration {
  proverId: string;
  hardwareProfile: HardwareProfile;
  capabilities: ProverCapabilities;
  region: string | null;
  maxConcurrency: number;
  /** The prover registered itself, which proves it alive (a heartbeat). */
  alive: boolean;
}

export interface ProverListFilter {
  /** The reported state: stale heartbeats count as offline. */
  state?: ProverState;
  region?: string;
  /** Keyset cursor: provers after this id. */
  after?: string;
  limit: number;
  livenessTtlMs: number;
}

/**
 * A prover's state after `event`, as an SQL expression over its row (`alias.` prefixed),
 * written from the domain's state machine: its moves in order, any other state kept.
 * `guarded`: the statement's WHERE admits only the states the event leaves (`leaving`), so
 * an event of one unconditional move writes its target as it is.
 */
function stateAfter(event: ProverEvent, alias = '', guarded = false): string {
  const moves: readonly ProverMove[] = PROVER_MOVES[event];
  if (guarded && moves.length === 1 && moves[0].drainRequested === undefined) return sqlLiteral(moves[0].to);
  const whens = moves.map((m) => {
    const drain = m.drainRequested === undefined ? '' : ` AND ${m.drainRequested ? '' : 'NOT '}${alias}drain_requested`;
    return `WHEN ${alias}state ${sqlIn(m.from)}${drain} THEN ${sqlLiteral(m.to)}`;
  });
  return `CASE ${whens.join(' ')} ELSE ${alias}state END`;
}

/** The guard of a statement that makes `event`: the prover is in a state it leaves. */
const leaving = (event: ProverEvent, alias = '') => `${alias}state ${sqlIn(statesLeftBy(event))}`;

const COLUMNS = `prover_id, hardware_profile, capabilities, region, max_concurrency, load_factor::text, state,
  score_value::text, successful_jobs::text, failed_jobs::text, version::text, last_heartbeat, last_scored_at,
  registered_at, cancellations_seen_at`;

/** One applied score event (prover_score_history); scored_at as JSON writes it. */
export interface ScoreHistoryRow {
  version: string;
  score_value: string;
  delta_success: number;
  delta_failure: number;
  scored_at: string;
}

/** A JSON column's parameter; null leaves the column as it is (see heartbeat). */
const jsonOrNull = (value: object | undefined) => (value === undefined ? null : JSON.stringify(value));

/** Provers and their scorecards, read and written in the current unit of work. */
@Injectable()
export class ProverRepository {
  constructor(private readonly uow: UnitOfWork) {}

  private q<T>(sql: string, params: unknown[] = []): Promise<T> {
    return this.uow.tx.query(sql, params);
  }

  async find(proverId: string, lock = false): Promise<ProverRow | null> {
    const rows = await this.q<ProverRow[]>(
      `SELECT ${COLUMNS} FROM provers WHERE prover_id = $1 ${lock ? 'FOR UPDATE' : ''}`,
      [proverId],
    );
    return rows[0] ?? null;
  }

  /** Several provers by id (plain reads); unknown ids are left out. */
  async findMany(proverIds: string[]): Promise<Map<string, ProverRow>> {
    if (proverIds.length === 0) return new Map();
    const rows = await this.uow.prepared<ProverRow>(
      `SELECT ${COLUMNS} FROM provers WHERE prover_id = ANY($1::varchar[])`,
      [proverIds],
    );
    return new Map(rows.map((r) => [r.prover_id, r]));
  }

  /**
   * Creates the prover, or replaces its profile, capabilities, region and concurrency
   * (score, counters, version and state are kept). `created` tells which.
   */
  async register(r: ProverRegistration): Promise<{ prover: ProverRow; created: boolean }> {
    const rows = await this.q<(ProverRow & { created: boolean })[]>(
      `INSERT INTO provers AS p (prover_id, hardware_profile, capabilities, region, max_concurrency, last_heartbeat, state)
       VALUES ($1, $2, $3, $4, $5, CASE WHEN $6 THEN now() END, ${sqlLiteral(INITIAL_PROVER_STATE)})
       ON CONFLICT (prover_id) DO UPDATE SET
         hardware_profile = EXCLUDED.hardware_profile,
         capabilities = EXCLUDED.capabilities,
         region = EXCLUDED.region,
         max_concurrency = EXCLUDED.max_concurrency,
         last_heartbeat = CASE WHEN $6 THEN now() ELSE p.last_heartbeat END,
         state = CASE WHEN $6 THEN ${stateAfter('heartbeat', 'p.')} ELSE p.state END
       RETURNING ${COLUMNS}, (xmax = 0) AS created`,
      [
        r.proverId,
        JSON.stringify(r.hardwareProfile),
        JSON.stringify(r.capabilities),
        r.region,
        r.maxConcurrency,
        r.alive,
      ],
    );
    const { created, ...prover } = rows[0];
    return { prover, created };
  }

  /**
   * A heartbeat, in one statement: refreshes liveness, load, and the profile, capabilities and
   * reported latency when given (else keeps them; an offline prover is back: see the heartbeat move) and moves the moment the prover was
   * last told of its cancellations to now. Returns that moment as it was, less
   * `overlapMs` (as the database wrote it: full precision), or null for an unknown prover.
   */
  async heartbeat(
    proverId: string,
    beat: {
      loadFactor: number;
      hardwareProfile?: HardwareProfile;
      capabilities?: ProverCapabilities;
      latencyMs?: number;
    },
    overlapMs: number,
  ): Promise<string | null> {
    const [row] = await this.uow.prepared<{ since: string }>(
      // "before" reads the row as of the statement's start (the UPDATE takes the lock).
      `UPDATE provers p SET last_heartbeat = now(), cancellations_seen_at = now(), load_factor = $2,
         hardware_profile = COALESCE($3::jsonb, p.hardware_profile), capabilities = COALESCE($4::jsonb, p.capabilities),
         latency_ms = COALESCE($6::int, p.latency_ms), state = ${stateAfter('heartbeat', 'p.')}
       FROM (SELECT COALESCE(cancellations_seen_at, registered_at) - make_interval(secs => $5::float8 / 1000) AS since
             FROM provers WHERE prover_id = $1) before
       WHERE p.prover_id = $1
       RETURNING before.since::text AS since`,
      [
        proverId,
        beat.loadFactor,
        jsonOrNull(beat.hardwareProfile),
        jsonOrNull(beat.capabilities),
        overlapMs,
        beat.latencyMs ?? null,
      ],
    );
    return row?.since ?? null;
  }

  /** Liveness only (polls): the ids of the provers that exist, refreshed. */
  async touchAll(proverIds: string[]): Promise<Set<string>> {
    const rows = await this.uow.prepared<{ prover_id: string }>(
      `UPDATE provers SET last_heartbeat = now(), state = ${stateAfter('heartbeat')}
       WHERE prover_id = ANY($1::varchar[]) RETURNING prover_id`,
      [proverIds],
    );
    return new Set(rows.map((r) => r.prover_id));
  }

  /** Marks the prover draining (an offline one comes back draining). */
  async drain(proverId: string): Promise<ProverRow | null> {
    const [rows] = await this.q<[ProverRow[], number]>(
      // An offline prover stays offline until it is back; then it is draining (see the heartbeat move).
      `UPDATE provers SET drain_requested = true, state = ${stateAfter('drain')}
       WHERE prover_id = $1 RETURNING ${COLUMNS}`,
      [proverId],
    );
    return rows[0] ?? null;
  }

  /** The drain is lifted: a draining prover is active again; an offline one is active once back. */
  async resume(proverId: string): Promise<ProverRow | null> {
    const [rows] = await this.q<[ProverRow[], number]>(
      `UPDATE provers SET drain_requested = false, state = ${stateAfter('resume')}
       WHERE prover_id = $1 RETURNING ${COLUMNS}`,
      [proverId],
    );
    return rows[0] ?? null;
  }

  /** Marks provers silent past the TTL (by the database clock) offline (the score version is untouched); their ids. */
  async goOfflineIfSilent(ttlMs: number): Promise<string[]> {
    const [rows] = await this.q<[{ prover_id: string }[], number]>(
      `UPDATE provers SET state = ${stateAfter('goOffline', '', true)}
       WHERE ${leaving('goOffline')}
         AND COALESCE(last_heartbeat, registered_at) < clock_timestamp() - make_interval(secs => $1::float8 / 1000)
       RETURNING prover_id`,
      [ttlMs],
    );
    return rows.map((r) => r.prover_id).sort();
  }

  /**
   * Writes score events applied in order (several per prover, versions consecutive from
   * the one read) with optimistic locking, in one statement, all or nothing: each
   * scorecard is updated only if it is still at the version it was read at, every event
   * gets its history row, and `handler` is recorded as having handled each one. Fails
   * (SQLSTATE TL002, or 23505 for an event handled meanwhile) if anything moved.
   */
  async applyScores(handler: string, writes: ScoreWrite[]): Promise<void> {
    const last = new Map<string, ScoreWrite & { ds: number; df: number }>();
    for (const w of writes) {
      const prev = last.get(w.proverId);
      last.set(w.proverId, {
        ...w,
        readVersion: prev?.readVersion ?? w.readVersion,
        ds: (prev?.ds ?? 0) + w.deltaSuccess,
        df: (prev?.df ?? 0) + w.deltaFailure,
        scoredAt: prev && prev.scoredAt > w.scoredAt ? prev.scoredAt : w.scoredAt,
      });
    }
    const cards = [...last.values()];
    await this.uow.prepared(
      `WITH handled AS (${recordHandled('$1', '$2')}),
       cards AS (
         UPDATE provers p SET score_value = u.score, successful_jobs = successful_jobs + u.ds,
                failed_jobs = failed_jobs + u.df, version = u.version,
                last_scored_at = GREATEST(last_scored_at, u.scored_at)
         FROM unnest($3::varchar[], $4::bigint[], $5::bigint[], $6::numeric[], $7::int[], $8::int[], $9::timestamptz[])
              AS u(prover_id, was, version, score, ds, df, scored_at)
         WHERE p.prover_id = u.prover_id AND p.version = u.was
         RETURNING 1),
       history AS (
         INSERT INTO prover_score_history (prover_id, version, event_id, delta_success, delta_failure, score_value, scored_at)
         SELECT * FROM unnest($10::varchar[], $11::bigint[], $2::uuid[], $12::int[], $13::int[], $14::numeric[],
                              $15::timestamptz[])
         RETURNING 1)
       SELECT tally_expect((SELECT count(*) FROM cards) = $16 AND (SELECT count(*) FROM handled) = $17
                           AND (SELECT count(*) FROM history) = $17, 'a scorecard moved') AS current`,
      [
        handler,
        writes.map((w) => w.eventId),
        cards.map((c) => c.proverId),
        cards.map((c) => c.readVersion),
        cards.map((c) => c.version),
        cards.map((c) => c.score),
        cards.map((c) => c.ds),
        cards.map((c) => c.df),
        cards.map((c) => c.scoredAt),
        writes.map((w) => w.proverId),
        writes.map((w) => w.version),
        writes.map((w) => w.deltaSuccess),
        writes.map((w) => w.deltaFailure),
        writes.map((w) => w.score),
        writes.map((w) => w.scoredAt),
        cards.length,
        writes.length,
      ],
    );
  }

  /**
   * The prover's latest `limit` applied score events, oldest first; null when there is no
   * such prover (one never scored has an empty history).
   */
  async scoreHistory(proverId: string, limit: number): Promise<ScoreHistoryRow[] | null> {
    const [row] = await this.q<{ history: ScoreHistoryRow[] | null }[]>(
      `SELECT (SELECT jsonb_agg(h ORDER BY h.version) FROM (
                 SELECT version::text, score_value::text, delta_success, delta_failure, scored_at
                 FROM prover_score_history WHERE prover_id = p.prover_id ORDER BY version DESC LIMIT $2) h) AS history
       FROM provers p WHERE p.prover_id = $1`,
      [proverId, limit],
    );
    return row ? (row.history ?? []) : null;
  }

  /** How many provers are in each reported state (stale heartbeats count as offline), as list filters them. */
  async countByState(livenessTtlMs: number): Promise<Record<ProverState, number>> {
    const rows = await this.q<{ state: ProverState; n: number }[]>(
      `SELECT CASE WHEN last_heartbeat IS NULL OR last_heartbeat < now() - make_interval(secs => $1)
                   THEN ${sqlLiteral(OFFLINE_STATE)} ELSE state END AS state, count(*)::int AS n
       FROM provers GROUP BY 1`,
      [livenessTtlMs / 1000],
    );
    const counts = Object.fromEntries(PROVER_STATES.map((s) => [s, 0])) as Record<ProverState, number>;
    for (const r of rows) counts[r.state] += r.n;
    return counts;
  }

  /** One keyset page, ordered by prover id. */
  list(f: ProverListFilter): Promise<ProverRow[]> {
    const params: unknown[] = [];
    const p = (v: unknown) => `$${params.push(v)}`;
    const where: string[] = [];
    const stale = () =>
      `(last_heartbeat IS NULL OR last_heartbeat < now() - make_interval(secs => ${p(f.livenessTtlMs / 1000)}))`;
    if (f.state === OFFLINE_STATE) where.push(`(state = ${sqlLiteral(OFFLINE_STATE)} OR ${stale()})`);
    else if (f.state) where.push(`state = ${p(f.state)} AND NOT ${stale()}`);
    if (f.region) where.push(`region = ${p(f.region)}`);
    if (f.after !== undefined) where.push(`prover_id > ${p(f.after)}`);
    return this.q<ProverRow[]>(
      `SELECT ${COLUMNS} FROM provers ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY prover_id LIMIT ${p(f.limit)}`,
      params,
    );
  }
}
