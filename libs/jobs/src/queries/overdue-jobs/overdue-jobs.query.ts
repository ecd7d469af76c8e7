import { Injectable } from '@nestjs/common';
import { sqlIn, UnitOfWork } from '@tally/database';
import { IN_FLIGHT, OUTSTANDING_REPLICA } from '../../domain';

/** A job in flight past its wall-clock TTL, with the first prover still holding a replica (or null). */
export interface OverdueJob {
  network_job_id: string;
  prover_id: string | null;
}

/** Jobs out with provers for longer than the wall clock allows, for the timeout sweep. */
@Injectable()
export class OverdueJobsQuery {
  constructor(private readonly uow: UnitOfWork) {}

  /** Jobs in flight assigned longer than `ttlMs` ago (database clock), oldest first. */
  list(ttlMs: number, limit: number): Promise<OverdueJob[]> {
    return this.uow.tx.query(
      `SELECT j.network_job_id,
              (SELECT a.prover_id FROM job_assignments a
               WHERE a.network_job_id = j.network_job_id AND a.status ${sqlIn(OUTSTANDING_REPLICA)}
               ORDER BY a.replica LIMIT 1) AS prover_id
       FROM jobs j
       WHERE j.status ${sqlIn(IN_FLIGHT)}
         AND j.assigned_at < clock_timestamp() - make_interval(secs => $1::float8 / 1000)
       ORDER BY j.assigned_at, j.network_job_id
       LIMIT $2`,
      [ttlMs, limit],
    );
  }

  /** Locks the job and tells whether it is still in flight past the wall-clock TTL. */
  async lockIfStillOverdue(jobId: string, ttlMs: number): Promise<boolean> {
    const rows: unknown[] = await this.uow.tx.query(
      `SELECT 1 FROM jobs
       WHERE network_job_id = $1 AND status ${sqlIn(IN_FLIGHT)}
         AND assigned_at < clock_timestamp() - make_interval(secs => $2::float8 / 1000)
       FOR UPDATE`,
      [jobId, ttlMs],
    );
    return rows.length > 0;
  }
}
