import { Injectable } from '@nestjs/common';
import { sqlIn, UnitOfWork } from '@tally/database';
import { MOVES, type Priority } from '../../domain';

/** A claimed PENDING job: what an assigner needs to place it. */
export interface PendingJob {
  network_job_id: string;
  priority: Priority;
  requirements: Record<string, unknown>;
  service: string | null;
  replicas: number;
  /** The keyset position: priority rank (HIGH 0, NORMAL 1, LOW 2), submitted_at as text, id. */
  priority_rank: number;
  submitted_key: string;
  /** Provers already holding a replica of it. */
  holders: string[];
}

/** Where a claim starts: after this keyset position. */
export interface PendingCursor {
  rank: number;
  submittedAt: string;
  id: string;
}

const PRIORITY_RANK = `CASE priority WHEN 'HIGH' THEN 0 WHEN 'NORMAL' THEN 1 ELSE 2 END`;
/** The jobs waiting for provers: the states an assignment leaves. */
const WAITING = `status ${sqlIn(MOVES.assign.from)}`;

/** The jobs that wait for provers, for the scheduler. */
@Injectable()
export class PendingJobsQuery {
  constructor(private readonly uow: UnitOfWork) {}

  /**
   * The SELECT of a claim, for the assigner's one-statement read (it embeds this as a CTE):
   * up to `limit` waiting jobs after the cursor, HIGH before NORMAL before LOW, then oldest
   * first (then by id), locked (jobs another transaction holds are skipped), each with the
   * provers already holding a replica of it. `limit` and the cursor's parts are the
   * statement's parameters ($n), its rank int, its time timestamptz, its id bigint. Rows are
   * PendingJob (the id as text, so JSON carries it exactly) plus `submitted_at` and `job_order` (to order by).
   */
  static claimSql(limit: string, after: { rank: string; submittedAt: string; id: string } | null): string {
    const cursor = after
      ? `AND (${PRIORITY_RANK}, submitted_at, network_job_id) > (${after.rank}::int, ${after.submittedAt}::timestamptz, ${after.id}::bigint)`
      : '';
    return `SELECT network_job_id::text AS network_job_id, network_job_id AS job_order, priority, requirements, service,
                replicas, ${PRIORITY_RANK} AS priority_rank,
                submitted_at::text AS submitted_key, submitted_at,
                ARRAY(SELECT a.prover_id FROM job_assignments a WHERE a.network_job_id = jobs.network_job_id) AS holders
         FROM jobs
         WHERE ${WAITING} ${cursor}
         ORDER BY ${PRIORITY_RANK}, submitted_at, jobs.network_job_id
         LIMIT ${limit}
         FOR UPDATE SKIP LOCKED`;
  }

  /** Whether any job waits (an index probe, outside any transaction). */
  async any(): Promise<boolean> {
    const rows = await this.uow.prepared(`SELECT 1 FROM jobs WHERE ${WAITING} LIMIT 1`);
    return rows.length > 0;
  }

  /** A job's requirements and service, or null when there is no such job. */
  async needsOf(jobId: string): Promise<{ requirements: Record<string, unknown>; service: string | null } | null> {
    const rows: { requirements: Record<string, unknown>; service: string | null }[] = await this.uow.tx.query(
      `SELECT requirements, service FROM jobs WHERE network_job_id = $1`,
      [jobId],
    );
    return rows[0] ?? null;
  }
}
