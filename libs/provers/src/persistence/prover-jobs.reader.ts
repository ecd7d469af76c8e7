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
}
