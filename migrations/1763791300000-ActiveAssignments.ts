import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The replicas provers hold now (ASSIGNED or RUNNING), by prover, oldest first: what a poll
 * starts and what the scheduler counts as a prover's load. The full (prover_id, status)
 * index keeps every assignment ever made, so a read of "the ASSIGNED ones" there grew with
 * the history; this one holds only the live ones.
 */
export class ActiveAssignments1763791300000 implements MigrationInterface {
  name = 'ActiveAssignments1763791300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX job_assignments_active_idx ON job_assignments (prover_id, assigned_at)
       WHERE status IN ('ASSIGNED', 'RUNNING')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX job_assignments_active_idx`);
  }
}
