import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Replicas taken back from their provers when a job is requeued (a prover went offline,
 * and every replica of the job starts again): each prover is told at its next heartbeat,
 * with its cancelled jobs, so it stops working on a job that is no longer its own.
 */
export class RevokedReplicas1763791200000 implements MigrationInterface {
  name = 'RevokedReplicas1763791200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE revoked_replicas (
        prover_id varchar(128) NOT NULL,
        network_job_id uuid NOT NULL REFERENCES jobs (network_job_id),
        revoked_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (prover_id, network_job_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE revoked_replicas`);
  }
}
