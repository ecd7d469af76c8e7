import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When each replica last started: a prover's heartbeat gives back a RUNNING replica it does
 * not list only once that start is older than PROVER_START_ACK_GRACE_MS (a younger one may
 * still be on its way to the prover in a poll's answer). The job's own started_at is its
 * first replica's. Replicas running now take their job's start (or their assignment), so
 * a start lost before this migration is given back too; a start that a process of an older
 * version writes without it is never given back by a heartbeat (as before).
 */
export class ReplicaStarts1763791600000 implements MigrationInterface {
  name = 'ReplicaStarts1763791600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE job_assignments ADD COLUMN started_at timestamptz`);
    await q.query(
      `UPDATE job_assignments a SET started_at = COALESCE(j.started_at, a.assigned_at)
       FROM jobs j WHERE j.network_job_id = a.network_job_id AND a.status = 'RUNNING'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE job_assignments DROP COLUMN started_at`);
  }
}
