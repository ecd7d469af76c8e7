import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@tally/database';
import {
  type HeldReplica,
  OverdueJobsQuery,
  type OverdueJob,
  PendingJobsQuery,
  type PendingCursor,
  type PendingJob,
  ProverReplicasQuery,
} from '@tally/jobs';
import {
  type DecaySettings,
  OfflineProversQuery,
  ProverCandidatesQuery,
  type ProverCandidateRow,
  scoreNumberAt,
} from '@tally/provers';
import { LedgerQueries } from '@tally/ledger';
import { Clock, TallyEnv } from '@tally/shared';
import type { ScoredProver } from '../domain';
import { AssignmentLock } from './assignment-lock';

export type { OverdueJob, PendingCursor, PendingJob };

/** A replica held by a prover the sweep has marked offline. */
export type OrphanedAssignment = HeldReplica;

/** Only one replica sweeps timeouts at a time (try-lock: the others skip). */
const SWEEP_LOCK = 0x7a11_5c4f;

/** The clock of a statement that reads provers: one instant for every row and the liveness test. */
const CLOCK = `clock AS (SELECT clock_timestamp() AS db_now)`;
const NOW = `(SELECT db_now FROM clock)`;

/** Provers with their load (the jobs lib's count), read at the statement's clock. */
const candidates = (which: { liveTtlMs: string } | { ids: string }) =>
  ProverCandidatesQuery.sql({
    now: NOW,
    load: ProverReplicasQuery.loadSql,
    stake: LedgerQueries.bondedStakeSql,
    which,
  });

/** A prover row as the domain sees it, its score taken at `now` (the database clock of the read). */
function snapshotOf(r: Omit<ProverCandidateRow, 'version'>, now: Date, decay: DecaySettings): ScoredProver {
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
    latencyMs: r.latency_ms,
    region: r.region,
    hardwareProfile: r.hardware_profile ?? {},
    capabilities: r.capabilities ?? {},
    bondedStakeMicros: BigInt(r.bonded_stake),
  };
}

/**
 * The scheduler's reads in the current unit of work. It owns `scheduler_config` (see
 * SchedulerConfigRepository) and the assignment lock; it reads provers and jobs through
 * their libs' queries (composing their SQL into one statement where a tick needs it to be
 * one), and changes them only through their libs' commands.
 */
@Injectable()
export class SchedulingRepository {
  private readonly decay: DecaySettings;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly lock: AssignmentLock,
    private readonly pending: PendingJobsQuery,
    private readonly overdue: OverdueJobsQuery,
    private readonly replicas: ProverReplicasQuery,
    private readonly offline: OfflineProversQuery,
    private readonly clock: Clock,
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
  lockAssignment(): Promise<void> {
    return this.lock.lockExclusive();
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
    const rows = await this.q<ProverCandidateRow[]>(`WITH ${CLOCK} ${candidates({ ids: '$1' })}`, [proverIds]);
    return {
      provers: rows.map((r) => snapshotOf(r, r.db_now, this.decay)),
      holders: await this.replicas.holdersOf(jobId),
    };
  }

  /** Whether any job is PENDING (an index probe, outside any transaction). */
  anyPending(): Promise<boolean> {
    return this.pending.any();
  }

  /**
   * Active provers with a heartbeat within the TTL, with the replicas they hold of jobs
   * that have not settled (an assignment left ASSIGNED/RUNNING on a job that failed or
   * completed does not count), and the database clock they were read at.
   */
  async liveProvers(ttlMs: number): Promise<{ provers: ScoredProver[]; now: Date }> {
    const rows = await this.q<ProverCandidateRow[]>(`WITH ${CLOCK} ${candidates({ liveTtlMs: '$1' })}`, [ttlMs]);
    return {
      // Without live provers there is nothing to compare heartbeats with.
      now: rows[0]?.db_now ?? this.clock.now(),
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
    jobs: PendingJob[];
    provers: (ScoredProver & { version: string })[];
    now: Date;
    config: unknown;
  }> {
    const params: unknown[] = [ttlMs, limit];
    if (cursor) params.push(cursor.rank, cursor.submittedAt, cursor.id);
    const claim = PendingJobsQuery.claimSql('$2', cursor ? { rank: '$3', submittedAt: '$4', id: '$5' } : null);
    const [row] = await this.uow.prepared<{
      jobs: (PendingJob & { submitted_at?: unknown; job_order?: unknown })[];
      provers: (Omit<ProverCandidateRow, 'last_heartbeat' | 'last_scored_at'> & {
        last_heartbeat: string | null;
        last_scored_at: string | null;
      })[];
      now: Date;
      config: unknown;
    }>(
      `WITH ${CLOCK},
       claimed AS (${claim}),
       live AS (${candidates({ liveTtlMs: '$1' })})
       SELECT (SELECT coalesce(json_agg(c ORDER BY c.priority_rank, c.submitted_at, c.job_order), '[]') FROM claimed c) AS jobs,
              (SELECT coalesce(json_agg(l), '[]') FROM live l) AS provers,
              (SELECT db_now FROM clock) AS now,
              (SELECT config FROM scheduler_config WHERE id = 1) AS config`,
      params,
    );
    return {
      jobs: row.jobs.map(({ submitted_at: _, job_order: __, ...j }) => j),
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
  jobNeeds(jobId: string): Promise<{ requirements: Record<string, unknown>; service: string | null } | null> {
    return this.pending.needsOf(jobId);
  }

  /**
   * Replicas of unsettled jobs held by offline provers, oldest first. Only the offline state
   * counts, not a heartbeat age read on a later clock: a job never leaves a prover that
   * the sweep has not marked offline yet (MarkSilentOfflineCommand).
   */
  async orphanedAssignments(limit: number): Promise<OrphanedAssignment[]> {
    return this.replicas.heldBy(await this.offline.ids(), limit);
  }

  /**
   * Locks the job and tells whether the prover still holds an unreported replica of it and
   * is still offline: a prover that came back since the sweep read it (a heartbeat sets it
   * active again) keeps its job.
   */
  async stillOrphaned(jobId: string, proverId: string): Promise<boolean> {
    return (await this.replicas.lockIfHeldBy(jobId, proverId)) && (await this.offline.includes(proverId));
  }

  /** Locks the job and tells whether it is still ASSIGNED or RUNNING past the wall-clock TTL. */
  stillOverdue(jobId: string, ttlMs: number): Promise<boolean> {
    return this.overdue.lockIfStillOverdue(jobId, ttlMs);
  }

  /** ASSIGNED or RUNNING jobs assigned longer than `ttlMs` ago, oldest first. */
  overdueJobs(ttlMs: number, limit: number): Promise<OverdueJob[]> {
    return this.overdue.list(ttlMs, limit);
  }
}
