import { Injectable } from '@nestjs/common';
import { LOCK_ASSIGNMENTS_SHARED_SQL, recordHandled, UnitOfWork } from '@tally/database';
import type { HardwareProfile, ProverCapabilities, ProverState } from '../domain';

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
 * A prover's state once it is heard from again: an offline one is active, or draining if
 * it was asked to drain (a drain outlives going offline); any other state stays.
 */
const backOnline = (alias = '') =>
  `CASE WHEN ${alias}state = 'offline' THEN CASE WHEN ${alias}drain_requested THEN 'draining' ELSE 'active' END
        ELSE ${alias}state END`;

const COLUMNS = `prover_id, hardware_profile, capabilities, region, max_concurrency, load_factor::text, state,
  score_value::text, successful_jobs::text, failed_jobs::text, version::text, last_heartbeat, last_scored_at,
  registered_at, cancellations_seen_at`;

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
   * (score, counters, version and state are kept). `created` tells which. Like a drain, it
   * waits for an assignment batch being written, so a lowered max_concurrency holds for
   * every batch after it answers.
   */
  async register(r: ProverRegistration): Promise<{ prover: ProverRow; created: boolean }> {
    await this.uow.prepared(LOCK_ASSIGNMENTS_SHARED_SQL);
    const rows = await this.q<(ProverRow & { created: boolean })[]>(
      `INSERT INTO provers AS p (prover_id, hardware_profile, capabilities, region, max_concurrency, last_heartbeat)
       VALUES ($1, $2, $3, $4, $5, CASE WHEN $6 THEN now() END)
       ON CONFLICT (prover_id) DO UPDATE SET
         hardware_profile = EXCLUDED.hardware_profile,
         capabilities = EXCLUDED.capabilities,
         region = EXCLUDED.region,
         max_concurrency = EXCLUDED.max_concurrency,
         last_heartbeat = CASE WHEN $6 THEN now() ELSE p.last_heartbeat END,
         state = CASE WHEN $6 THEN ${backOnline('p.')} ELSE p.state END
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
   * A heartbeat, in one statement: refreshes liveness, load, profile and capabilities (an
   * offline prover is active again; a draining one stays draining) and takes the jobs of
   * this prover cancelled since `overlapMs` before the previous heartbeat that it has not
   * been told about yet, marking them told (reading the jobs tables, as ProverJobsReader
   * does), with the replicas taken back from it since (their job was requeued). Returns
   * those job ids, or null for an unknown prover.
   */
  async heartbeat(
    proverId: string,
    beat: { loadFactor: number; hardwareProfile: HardwareProfile; capabilities: ProverCapabilities },
    overlapMs: number,
  ): Promise<string[] | null> {
    const [row] = await this.uow.prepared<{ known: boolean; cancelled: string[] }>(
      // "before" reads the row as of the statement's start (the UPDATE beside it takes the lock);
      // two heartbeats at once may look from the same time: the acknowledgements tell each job once.
      `WITH before AS (
         SELECT COALESCE(cancellations_seen_at, registered_at) - make_interval(secs => $5::float8 / 1000) AS since
         FROM provers WHERE prover_id = $1),
       beat AS (
         UPDATE provers SET last_heartbeat = now(), cancellations_seen_at = now(), load_factor = $2,
           hardware_profile = $3, capabilities = $4, state = ${backOnline()}
         WHERE prover_id = $1 RETURNING 1),
       told AS (
         INSERT INTO prover_cancellation_acks (prover_id, network_job_id)
         SELECT a.prover_id, a.network_job_id FROM job_assignments a JOIN jobs j ON j.network_job_id = a.network_job_id
         WHERE a.prover_id = $1 AND a.status = 'CANCELLED'
           AND COALESCE(j.cancelled_at, j.completed_at, j.failed_at) > (SELECT since FROM before)
         ORDER BY COALESCE(j.cancelled_at, j.completed_at, j.failed_at), a.network_job_id
         ON CONFLICT DO NOTHING RETURNING network_job_id),
       -- Replicas taken back (their job was requeued), told once; one given back to it since is not.
       revoked AS (
         DELETE FROM revoked_replicas r WHERE r.prover_id = $1 AND EXISTS (SELECT 1 FROM beat)
         RETURNING r.network_job_id,
                   EXISTS (SELECT 1 FROM job_assignments a WHERE a.prover_id = $1
                           AND a.network_job_id = r.network_job_id AND a.status IN ('ASSIGNED', 'RUNNING')) AS held)
       SELECT EXISTS (SELECT 1 FROM beat) AS known,
              ARRAY(SELECT id FROM (SELECT network_job_id::text AS id FROM told
                                    UNION SELECT network_job_id::text FROM revoked WHERE NOT held) x
                    ORDER BY id) AS cancelled`,
      [proverId, beat.loadFactor, JSON.stringify(beat.hardwareProfile), JSON.stringify(beat.capabilities), overlapMs],
    );
    return row.known ? row.cancelled : null;
  }

  /** Liveness only (polls): the ids of the provers that exist, refreshed. */
  async touchAll(proverIds: string[]): Promise<Set<string>> {
    const rows = await this.uow.prepared<{ prover_id: string }>(
      `UPDATE provers SET last_heartbeat = now(), state = ${backOnline()}
       WHERE prover_id = ANY($1::varchar[]) RETURNING prover_id`,
      [proverIds],
    );
    return new Set(rows.map((r) => r.prover_id));
  }

  /**
   * Marks the prover draining. It first waits for any assignment batch being written: one
   * that read the prover active commits before the drain does, so once the drain has
   * answered no new job can reach the prover.
   */
  async drain(proverId: string): Promise<ProverRow | null> {
    await this.uow.prepared(LOCK_ASSIGNMENTS_SHARED_SQL);
    const [rows] = await this.q<[ProverRow[], number]>(
      // An offline prover stays offline until it is back; then it is draining (backOnline).
      `UPDATE provers SET drain_requested = true, state = CASE WHEN state = 'offline' THEN state ELSE 'draining' END
       WHERE prover_id = $1 RETURNING ${COLUMNS}`,
      [proverId],
    );
    return rows[0] ?? null;
  }

  /** The drain is lifted: a draining prover is active again; an offline one is active once back. */
  async resume(proverId: string): Promise<ProverRow | null> {
    const [rows] = await this.q<[ProverRow[], number]>(
      `UPDATE provers SET drain_requested = false, state = CASE WHEN state = 'draining' THEN 'active' ELSE state END
       WHERE prover_id = $1 RETURNING ${COLUMNS}`,
      [proverId],
    );
    return rows[0] ?? null;
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

  /** One keyset page, ordered by prover id. */
  list(f: ProverListFilter): Promise<ProverRow[]> {
    const params: unknown[] = [];
    const p = (v: unknown) => `$${params.push(v)}`;
    const where: string[] = [];
    const stale = () =>
      `(last_heartbeat IS NULL OR last_heartbeat < now() - make_interval(secs => ${p(f.livenessTtlMs / 1000)}))`;
    if (f.state === 'offline') where.push(`(state = 'offline' OR ${stale()})`);
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
