import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@tally/database';

/**
 * The provers lib's reads of the jobs tables (read-only; every change to a job goes
 * through the jobs lib's commands).
 */
@Injectable()
export class ProverJobsReader {
  constructor(private readonly uow: UnitOfWork) {}

  /** Which of these provers have a replica assigned to them that waits to start (one index probe each). */
  async withWaitingReplicas(proverIds: string[]): Promise<string[]> {
    const rows = await this.uow.prepared<{ prover_id: string }>(
      `SELECT p.prover_id FROM unnest($1::varchar[]) AS p(prover_id)
       WHERE EXISTS (SELECT 1 FROM job_assignments a JOIN jobs j ON j.network_job_id = a.network_job_id
                     WHERE a.prover_id = p.prover_id AND a.status = 'ASSIGNED' AND j.status IN ('ASSIGNED', 'RUNNING'))`,
      [proverIds],
    );
    return rows.map((r) => r.prover_id);
  }

  /**
   * This prover's replicas of RUNNING jobs that are RUNNING, started more than `graceMs`
   * ago (by the database's clock) and not among `listed` (the jobs its heartbeat says it
   * runs): starts it does not have. Oldest first.
   */
  async unlistedStarts(proverId: string, listed: string[], graceMs: number): Promise<string[]> {
    const rows = await this.uow.prepared<{ network_job_id: string }>(
      `SELECT a.network_job_id::text FROM job_assignments a JOIN jobs j ON j.network_job_id = a.network_job_id
       WHERE a.prover_id = $1 AND a.status = 'RUNNING' AND j.status = 'RUNNING'
         AND a.started_at < now() - make_interval(secs => $3::float8 / 1000)
         AND a.network_job_id <> ALL($2::uuid[])
       ORDER BY a.started_at, a.network_job_id`,
      [proverId, listed, graceMs],
    );
    return rows.map((r) => r.network_job_id);
  }
}
