import { Injectable } from '@nestjs/common';
import { LOCK_ASSIGNMENTS_SQL, UnitOfWork } from '@tally/database';
import { type DecaySettings, scoreNumberAt } from '@tally/provers';
import { TallyEnv } from '@tally/shared';
import type { ScoredProver } from '../domain';

/** A claimed PENDING job: what the scheduler needs to place it. */
export interface PendingJob {
  network_job_id: string;
  priority: 'HIGH' | 'NORMAL' | 'LOW';
  requirements: Record<string, unknown>;
  service: string | null;
  replicas: number;
  /** The keyset position: priority rank (HIGH 0, NORMAL 1, LOW 2), submitted_at as text, id. */
  priority_rank: number;
  submitted_key: string;
}

export interface PendingCursor {
  rank: number;
  submittedAt: string;
  id: string;
}

interface ProverRow {
  prover_id: string;
  state: string;
  last_heartbeat: Date | null;
  max_concurrency: number;
  active_jobs: number;
  score_value: string;
  last_scored_at: Date | null;
  load_factor: string;
  region: string | null;
  hardware_profile: Record<string, unknown>;
  capabilities: Record<string, unknown>;
  db_now: Date;
}

/** A replica held by a prover the sweep has marked offline. */
export interface OrphanedAssignment {
  network_job_id: string;
  prover_id: string;
}

/** A job past its wall-clock TTL, with the first prover still holding a replica (or null). */
export interface OverdueJob {
  network_job_id: string;
  prover_id: string | null;
}

/** Only one replica sweeps timeouts at a time (try-lock: the others skip). */
const SWEEP_LOCK = 0x7a11_5c4f;

const PRIORITY_RANK = `CASE priority WHEN 'HIGH' THEN 0 WHEN 'NORMAL' THEN 1 ELSE 2 END`;

/**
 * Provers with the replicas they hold of jobs that have not settled (an assignment left
 * ASSIGNED/RUNNING on a job that failed or completed does not count), read at `clock`.
 */
const PROVERS_WITH_LOAD = `
  SELECT p.prover_id, p.state, p.last_heartbeat, p.max_concurrency, p.score_value::text, p.last_scored_at,
         p.load_factor::text,
         p.region, p.hardware_profile, p.capabilities, p.version::text, clock.db_now,
         (SELECT count(*) FROM job_assignments a JOIN jobs j ON j.network_job_id = a.network_job_id
          WHERE a.prover_id = p.prover_id AND a.status IN ('ASSIGNED', 'RUNNING')
            AND j.status IN ('ASSIGNED', 'RUNNING'))::int AS active_jobs
  FROM provers p, clock`;

/** Active provers with a heartbeat within the TTL ($1, ms) of `clock`, with their load. */
const LIVE_PROVERS = `${PROVERS_WITH_LOAD}
  WHERE p.state = 'active' AND p.last_heartbeat >= clock.db_now - make_interval(secs => $1::float8 / 1000)`;

/** A prover row as the domain sees it, its score taken at `now` (the database clock of the read). */
function snapshotOf(r: ProverRow, now: Date, decay: DecaySettings): ScoredProver {
  return {
    proverId: r.prover_id,
    state: r.state,
    lastHeartbeat: r.last_heartbeat,
    maxConcurrency: r.max_concurrency,
    activeJobs: r.active_jobs,
    scoreValue: r.score_value,
    // The same rule as GET /v1/provers; for active provers (the usual case) it costs no decimal work.
    currentScore: scoreNumberAt({ score: r.score_value, lastScoredAt: r.last_scored_at }, now, decay),
    loadFactor: r.load_factor,
    region: r.region,
    hardwareProfile: r.hardware_profile ?? {},
    capabilities: r.capabilities ?? {},
  };
}

/**
 * The scheduler's reads and writes in the current unit of work. It reads the `provers`
 * table as the provers lib writes it (coordinating through the database) and writes the
 * state of provers found silent; jobs change only through the jobs lib's commands.
 */
@Injectable()
export class SchedulingRepository {
  private readonly decay: DecaySettings;

  constructor(
    private readonly uow: UnitOfWork,
    env: TallyEnv,
  ) {
    this.decay = { decayHalfLifeMs: env.SCORE_DECAY_HALF_LIFE_MS, idleAfterMs: env.SCORE_IDLE_AFTER_MS };
  }

  private q<T>(sql: string, params: unknown[] = []): Promise<T> {
    return this.uow.tx.query(sql, params);
  }

  /**
   * Waits until no other replica is assigning, and no admin assignment, drain or
   * registration is being written; released when the transaction ends.
   */
  async lockAssignment(): Promise<void> {
    await this.uow.prepared(LOCK_ASSIGNMENTS_SQL);
  }

  /** True when this transaction may sweep (no other replica is sweeping right now). */
  async tryLockSweep(): Promise<boolean> {
    const rows = await this.q<{ locked: boolean }[]>(`SELECT pg_try_advisory_xact_lock(${SWEEP_LOCK}) AS locked`);
    return rows[0]?.locked === true;
  }

  /**
   * These provers whatever their state, with their load, and the provers holding a replica
   * of the job: what an admin's assignment is checked against.
   */
  async proversForAssignment(
    proverIds: string[],
    jobId: string,
  ): Promise<{ provers: ScoredProver[]; holders: Set<string> }> {
    const rows = await this.q<ProverRow[]>(
      `WITH clock AS (SELECT clock_timestamp() AS db_now) ${PROVERS_WITH_LOAD} WHERE p.prover_id = ANY($1::varchar[])`,
      [proverIds],
    );
    const holders = await this.q<{ prover_id: string }[]>(
      `SELECT prover_id FROM job_assignments WHERE network_job_id = $1`,
      [jobId],
    );
    return {
      provers: rows.map((r) => snapshotOf(r, r.db_now, this.decay)),
      holders: new Set(holders.map((h) => h.prover_id)),
    };
  }

  /** Whether any job is PENDING (an index probe, outside any transaction). */
  async anyPending(): Promise<boolean> {
    const rows = await this.uow.prepared(`SELECT 1 FROM jobs WHERE status = 'PENDING' LIMIT 1`);
    return rows.length > 0;
  }

  /**
   * Active provers with a heartbeat within the TTL, with the replicas they hold of jobs
   * that have not settled (an assignment left ASSIGNED/RUNNING on a job that failed or
   * completed does not count), and the database clock they were read at.
   */
  async liveProvers(ttlMs: number): Promise<{ provers: ScoredProver[]; now: Date }> {
    const rows = await this.q<ProverRow[]>(`WITH clock AS (SELECT clock_timestamp() AS db_now) ${LIVE_PROVERS}`, [
      ttlMs,
    ]);
    return {
      // Without live provers there is nothing to compare heartbeats with.
      now: rows[0]?.db_now ?? new Date(),
      provers: rows.map((r) => snapshotOf(r, r.db_now, this.decay)),
    };
  }

  /**
   * Everything one assignment batch reads, in one statement (after lockAssignment, so it
   * sees what every earlier assigner committed): up to `limit` PENDING jobs after `cursor`,
   * HIGH before NORMAL before LOW, then oldest first (then by id), locked (jobs another
   * transaction holds are skipped), each with the provers already holding a replica of it;
   * the live provers with their load and scorecard version; the database clock; and the
   * stored scheduler config (null when none was ever put).
   */
  async assignmentInputs(
    limit: number,
    cursor: PendingCursor | null,
    ttlMs: number,
  ): Promise<{
    jobs: (PendingJob & { holders: string[] })[];
    provers: (ScoredProver & { version: string })[];
    now: Date;
    config: unknown;
  }> {
    const params: unknown[] = [ttlMs, limit];
    let after = '';
    if (cursor) {
      params.push(cursor.rank, cursor.submittedAt, cursor.id);
      after = `AND (${PRIORITY_RANK}, submitted_at, network_job_id) > ($3::int, $4::timestamptz, $5::uuid)`;
    }
    const [row] = await this.uow.prepared<{
      jobs: (PendingJob & { holders: string[] })[];
      provers: (Omit<ProverRow, 'last_heartbeat' | 'last_scored_at'> & {
        last_heartbeat: string | null;
        last_scored_at: string | null;
        version: string;
      })[];
      now: Date;
      config: unknown;
    }>(
      `WITH clock AS (SELECT clock_timestamp() AS db_now),
       claimed AS (
         SELECT network_job_id, priority, requirements, service, replicas, ${PRIORITY_RANK} AS priority_rank,
                submitted_at::text AS submitted_key, submitted_at,
                ARRAY(SELECT a.prover_id FROM job_assignments a WHERE a.network_job_id = jobs.network_job_id) AS holders
         FROM jobs
         WHERE status = 'PENDING' ${after}
         ORDER BY ${PRIORITY_RANK}, submitted_at, network_job_id
         LIMIT $2
         FOR UPDATE SKIP LOCKED),
       live AS (${LIVE_PROVERS})
       SELECT (SELECT coalesce(json_agg(c ORDER BY c.priority_rank, c.submitted_at, c.network_job_id), '[]') FROM claimed c) AS jobs,
              (SELECT coalesce(json_agg(l), '[]') FROM live l) AS provers,
              (SELECT db_now FROM clock) AS now,
              (SELECT config FROM scheduler_config WHERE id = 1) AS config`,
      params,
    );
    return {
      jobs: row.jobs.map(({ submitted_at: _, ...j }: PendingJob & { holders: string[]; submitted_at?: unknown }) => j),
      provers: row.provers.map((p) => ({
        ...snapshotOf(
          {
            ...p,
            last_heartbeat: p.last_heartbeat === null ? null : new Date(p.last_heartbeat),
            last_scored_at: p.last_scored_at === null ? null : new Date(p.last_scored_at),
          },
          row.now,
          this.decay,
        ),
        version: p.version,
      })),
      now: row.now,
      config: row.config,
    };
  }

  /** A job's requirements and service, or null when there is no such job. */
  async jobNeeds(jobId: string): Promise<{ requirements: Record<string, unknown>; service: string | null } | null> {
    const rows = await this.q<{ requirements: Record<string, unknown>; service: string | null }[]>(
      `SELECT requirements, service FROM jobs WHERE network_job_id = $1`,
      [jobId],
    );
    return rows[0] ?? null;
  }

  /** Marks provers silent past the TTL offline (the score version is untouched); returns their ids. */
  async markSilentOffline(ttlMs: number): Promise<string[]> {
    const [rows] = await this.q<[{ prover_id: string }[], number]>(
      `UPDATE provers SET state = 'offline'
       WHERE state <> 'offline'
         AND COALESCE(last_heartbeat, registered_at) < clock_timestamp() - make_interval(secs => $1::float8 / 1000)
       RETURNING prover_id`,
      [ttlMs],
    );
    return rows.map((r) => r.prover_id).sort();
  }

  /**
   * Replicas of unsettled jobs held by offline provers, oldest first. Only the offline state
   * counts, not a heartbeat age read on a later clock: a job never leaves a prover that
   * `markSilentOffline` has not marked offline yet.
   */
  orphanedAssignments(limit: number): Promise<OrphanedAssignment[]> {
    return this.q<OrphanedAssignment[]>(
      `SELECT a.network_job_id, a.prover_id
       FROM job_assignments a
       JOIN jobs j ON j.network_job_id = a.network_job_id
       JOIN provers p ON p.prover_id = a.prover_id
       WHERE a.status IN ('ASSIGNED', 'RUNNING') AND j.status IN ('ASSIGNED', 'RUNNING') AND p.state = 'offline'
       ORDER BY j.assigned_at, a.network_job_id, a.replica
       LIMIT $1`,
      [limit],
    );
  }

  /**
   * Locks the job and tells whether the prover still holds an unreported replica of it and
   * is still offline: a prover that came back since the sweep read it (a heartbeat sets it
   * active again) keeps its job.
   */
  async stillOrphaned(jobId: string, proverId: string): Promise<boolean> {
    const rows = await this.q<unknown[]>(
      `SELECT 1 FROM jobs j
       JOIN job_assignments a ON a.network_job_id = j.network_job_id AND a.prover_id = $2
       JOIN provers p ON p.prover_id = a.prover_id
       WHERE j.network_job_id = $1 AND j.status IN ('ASSIGNED', 'RUNNING') AND a.status IN ('ASSIGNED', 'RUNNING')
         AND p.state = 'offline'
       FOR UPDATE OF j`,
      [jobId, proverId],
    );
    return rows.length > 0;
  }

  /** Locks the job and tells whether it is still ASSIGNED or RUNNING past the wall-clock TTL. */
  async stillOverdue(jobId: string, ttlMs: number): Promise<boolean> {
    const rows = await this.q<unknown[]>(
      `SELECT 1 FROM jobs
       WHERE network_job_id = $1 AND status IN ('ASSIGNED', 'RUNNING')
         AND assigned_at < clock_timestamp() - make_interval(secs => $2::float8 / 1000)
       FOR UPDATE`,
      [jobId, ttlMs],
    );
    return rows.length > 0;
  }

  /** ASSIGNED or RUNNING jobs assigned longer than `ttlMs` ago, oldest first. */
  overdueJobs(ttlMs: number, limit: number): Promise<OverdueJob[]> {
    return this.q<OverdueJob[]>(
      `SELECT j.network_job_id,
              (SELECT a.prover_id FROM job_assignments a
               WHERE a.network_job_id = j.network_job_id AND a.status IN ('ASSIGNED', 'RUNNING')
               ORDER BY a.replica LIMIT 1) AS prover_id
       FROM jobs j
       WHERE j.status IN ('ASSIGNED', 'RUNNING')
         AND j.assigned_at < clock_timestamp() - make_interval(secs => $1::float8 / 1000)
       ORDER BY j.assigned_at, j.network_job_id
       LIMIT $2`,
      [ttlMs, limit],
    );
  }
}
