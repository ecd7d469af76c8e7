import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@tally/database';

/**
 * The provers lib's reads of the jobs tables (read-only; every change to a job goes
 * through the jobs lib's commands).
 */
@Injectable()
export class ProverJobsReader {
  constructor(private readonly uow: UnitOfWork) {}

  /**
   * The oldest job assigned to this prover whose replica has not started, with the job's
   * row lock (skipping a job another transaction holds: a racing poll takes the next one).
   * Call inside a unit of work.
   */
  async claimNextAssigned(proverId: string): Promise<string | null> {
    const rows: { network_job_id: string }[] = await this.uow.tx.query(
      `SELECT j.network_job_id FROM job_assignments a JOIN jobs j ON j.network_job_id = a.network_job_id
       WHERE a.prover_id = $1 AND a.status = 'ASSIGNED' AND j.status IN ('ASSIGNED', 'RUNNING')
       ORDER BY a.assigned_at, j.submitted_at, j.network_job_id
       LIMIT 1 FOR UPDATE OF j SKIP LOCKED`,
      [proverId],
    );
    return rows[0]?.network_job_id ?? null;
  }

  /** Whether any replica assigned to this prover waits to start (a cheap index probe for long polls). */
  async hasAssigned(proverId: string): Promise<boolean> {
    const rows: unknown[] = await this.uow.tx.query(
      `SELECT 1 FROM job_assignments a JOIN jobs j ON j.network_job_id = a.network_job_id
       WHERE a.prover_id = $1 AND a.status = 'ASSIGNED' AND j.status IN ('ASSIGNED', 'RUNNING') LIMIT 1`,
      [proverId],
    );
    return rows.length > 0;
  }

  /**
   * Jobs of this prover cancelled since `since` that it has not been told about yet; they
   * are marked told in the same transaction. (The acknowledgements make this exact even
   * for a cancellation whose transaction commits just after a heartbeat read.)
   */
  async takeCancelledSince(proverId: string, since: Date): Promise<string[]> {
    const rows: { network_job_id: string }[] = await this.uow.tx.query(
      `INSERT INTO prover_cancellation_acks (prover_id, network_job_id)
       SELECT a.prover_id, a.network_job_id FROM job_assignments a JOIN jobs j ON j.network_job_id = a.network_job_id
       WHERE a.prover_id = $1 AND a.status = 'CANCELLED' AND j.cancelled_at > $2
       ORDER BY j.cancelled_at, a.network_job_id
       ON CONFLICT DO NOTHING RETURNING network_job_id`,
      [proverId, since],
    );
    return rows.map((r) => r.network_job_id);
  }
}
