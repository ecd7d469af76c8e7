import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A replica's result may carry metadata (the service's result fields, at most 64 KB of
 * canonical JSON), kept with its result; and a service says which fields of a typed request's
 * body give its units (`units_rule`), in every version. Null: none reported / no typed endpoint.
 */
export class ResultMetadata1763792130000 implements MigrationInterface {
  name = 'ResultMetadata1763792130000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE job_assignments ADD COLUMN result_metadata jsonb
      CHECK (result_metadata IS NULL OR jsonb_typeof(result_metadata) = 'object')`);
    for (const table of ['service_schedules', 'service_schedule_versions']) {
      await q.query(`ALTER TABLE ${table} ADD COLUMN units_rule jsonb
        CHECK (units_rule IS NULL OR jsonb_typeof(units_rule) = 'object')`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE service_schedule_versions DROP COLUMN units_rule`);
    await q.query(`ALTER TABLE service_schedules DROP COLUMN units_rule`);
    await q.query(`ALTER TABLE job_assignments DROP COLUMN result_metadata`);
  }
}
