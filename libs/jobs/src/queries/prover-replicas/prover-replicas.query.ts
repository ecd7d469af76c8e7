import { Injectable } from '@nestjs/common';
import { sqlIn, UnitOfWork } from '@tally/database';
import { IN_FLIGHT, MOVES, OUTSTANDING_REPLICA, REPLICA_MOVES } from '../../domain';

/** A job as a prover receives it to run (REST's poll answer, a gRPC stream's assignment). */
export interface JobToRun {
  network_job_id: string;
  payload: unknown;
  payload_encoding: 'json' | 'base64';
  max_cost_micros: string;
  priority: string;
  replicas: number;
  requirements: Record<string, unknown>;
  service: string | null;
  units: string | null;
}

/** A replica a prover holds. */
export interface HeldReplica {
  network_job_id: string;
  prover_id: string;
}

/**
 * What the jobs tables say about provers' replicas, for the libs that track provers (the
 * provers lib's polls and heartbeats, the scheduler's load and sweep): they read it here,
 * never the tables.
 */
@Injectable()
export class ProverReplicasQuery {
  constructor(private readonly uow: UnitOfWork) {}

  /**
   * A prover's load as an SQL expression for another lib's statement (the scheduler reads
   * it with the provers in one statement): the replicas it holds of jobs that have not
   * settled (one left outstanding on a job that failed or completed does not count).
   */
  static loadSql(proverId: string): string {
    return `(SELECT count(*) FROM job_assignments a JOIN jobs j ON j.network_job_id = a.network_job_id
             WHERE a.prover_id = ${proverId} AND a.status ${sqlIn(OUTSTANDING_REPLICA)}
               AND j.status ${sqlIn(IN_FLIGHT)})::int`;
  }

  /** Which of these provers have a replica assigned to them that waits to start (one index probe each). */
  async withWaitingReplicas(proverIds: string[]): Promise<string[]> {
    const rows = await this.uow.prepared<{ prover_id: string }>(
      `SELECT p.prover_id FROM unnest($1::varchar[]) AS p(prover_id)
       WHERE EXISTS (SELECT 1 FROM job_assignments a JOIN jobs j ON j.network_job_id = a.network_job_id
                     WHERE a.prover_id = p.prover_id AND a.status ${sqlIn(REPLICA_MOVES.start.from)}
                       AND j.status ${sqlIn(IN_FLIGHT)})`,
      [proverIds],
    );
    return rows.map((r) => r.prover_id);
  }

  /** The jobs with a replica assigned to this prover that waits to start, oldest assignment first. */
  waitingJobs(proverId: string): Promise<JobToRun[]> {
    return this.uow.prepared<JobToRun>(
      `SELECT j.network_job_id::text, j.payload, j.payload_encoding, j.max_cost_micros::text, j.priority, j.replicas,
              j.requirements, j.service, j.units::text
       FROM job_assignments a JOIN jobs j ON j.network_job_id = a.network_job_id
       WHERE a.prover_id = $1 AND a.status ${sqlIn(REPLICA_MOVES.start.from)} AND j.status ${sqlIn(IN_FLIGHT)}
       ORDER BY a.assigned_at, a.network_job_id`,
      [proverId],
    );
  }

  /**
   * This prover's running replicas of running jobs (starts that could be given back),
   * started more than `graceMs` ago (by the database's clock) and not among `listed` (the
   * jobs its heartbeat says it runs): starts it does not have. Oldest first.
   */
  async unlistedStarts(proverId: string, listed: string[], graceMs: number): Promise<string[]> {
    const rows = await this.uow.prepared<{ network_job_id: string }>(
      `SELECT a.network_job_id::text FROM job_assignments a JOIN jobs j ON j.network_job_id = a.network_job_id
       WHERE a.prover_id = $1 AND a.status ${sqlIn(REPLICA_MOVES.giveBack.from)} AND j.status ${sqlIn(MOVES.giveBack.from)}
         AND a.started_at < now() - make_interval(secs => $3::float8 / 1000)
         AND a.network_job_id <> ALL($2::bigint[])
       ORDER BY a.started_at, a.network_job_id`,
      [proverId, listed, graceMs],
    );
    return rows.map((r) => r.network_job_id);
  }

  /** The outstanding replicas these provers hold of jobs in flight, oldest assignment first. */
  heldBy(proverIds: string[], limit: number): Promise<HeldReplica[]> {
    if (proverIds.length === 0) return Promise.resolve([]);
    return this.uow.tx.query(
      `SELECT a.network_job_id, a.prover_id
       FROM job_assignments a JOIN jobs j ON j.network_job_id = a.network_job_id
       WHERE a.prover_id = ANY($1::varchar[]) AND a.status ${sqlIn(OUTSTANDING_REPLICA)} AND j.status ${sqlIn(IN_FLIGHT)}
       ORDER BY j.assigned_at, a.network_job_id, a.replica
       LIMIT $2`,
      [proverIds, limit],
    );
  }

  /** Locks the job and tells whether it is in flight with an outstanding replica held by this prover. */
  async lockIfHeldBy(jobId: string, proverId: string): Promise<boolean> {
    const rows: unknown[] = await this.uow.tx.query(
      `SELECT 1 FROM jobs j
       JOIN job_assignments a ON a.network_job_id = j.network_job_id AND a.prover_id = $2
       WHERE j.network_job_id = $1 AND j.status ${sqlIn(IN_FLIGHT)} AND a.status ${sqlIn(OUTSTANDING_REPLICA)}
       FOR UPDATE OF j`,
      [jobId, proverId],
    );
    return rows.length > 0;
  }

  /** Every prover holding a replica of the job, whatever its state. */
  async holdersOf(jobId: string): Promise<Set<string>> {
    const rows: { prover_id: string }[] = await this.uow.tx.query(
      `SELECT prover_id FROM job_assignments WHERE network_job_id = $1`,
      [jobId],
    );
    return new Set(rows.map((r) => r.prover_id));
  }
}
