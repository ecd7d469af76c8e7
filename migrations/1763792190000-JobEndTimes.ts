import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When each job ended (completed, failed or cancelled), indexed: the admin overview counts
 * the jobs that ended in each of the last 60 minutes, an index range however many jobs there are.
 */
export class JobEndTimes1763792190000 implements MigrationInterface {
  name = 'JobEndTimes1763792190000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX jobs_ended_idx ON jobs ((COALESCE(completed_at, failed_at, cancelled_at)))
       WHERE COALESCE(completed_at, failed_at, cancelled_at) IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX jobs_ended_idx`);
  }
}
