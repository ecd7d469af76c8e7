import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Services gain a category, JSON Schemas for their job input and result metadata, and an
 * example input. Every version of a service is kept (service_schedule_versions) so a job can
 * name the version it was priced with and old versions stay readable.
 */
export class ServiceSchemas1763792110000 implements MigrationInterface {
  name = 'ServiceSchemas1763792110000';

  async up(q: QueryRunner): Promise<void> {
    const categories = `('ai-ml', 'media-processing', 'scientific-computing', 'data-analytics', 'gaming', 'development-tools')`;
    await q.query(`
      ALTER TABLE service_schedules
        ADD COLUMN category varchar(32) NOT NULL DEFAULT 'development-tools' CHECK (category IN ${categories}),
        ADD COLUMN input_schema jsonb NOT NULL DEFAULT '{"type": "object"}' CHECK (jsonb_typeof(input_schema) = 'object'),
        ADD COLUMN result_schema jsonb NOT NULL DEFAULT '{"type": "object"}' CHECK (jsonb_typeof(result_schema) = 'object'),
        ADD COLUMN example jsonb`);
    await q.query(`
      CREATE TABLE service_schedule_versions (
        id varchar(64) NOT NULL REFERENCES service_schedules (id),
        version bigint NOT NULL CHECK (version >= 1),
        price_per_unit_micros bigint NOT NULL CHECK (price_per_unit_micros > 0),
        unit varchar(32) NOT NULL,
        size_factor numeric(24, 6) NOT NULL CHECK (size_factor > 0),
        minimum_charge_micros bigint NOT NULL CHECK (minimum_charge_micros >= 0),
        hardware_requirements jsonb NOT NULL,
        description varchar(512),
        category varchar(32) NOT NULL CHECK (category IN ${categories}),
        input_schema jsonb NOT NULL,
        result_schema jsonb NOT NULL,
        example jsonb,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (id, version)
      )`);
    await q.query(`
      INSERT INTO service_schedule_versions
      SELECT id, version, price_per_unit_micros, unit, size_factor, minimum_charge_micros, hardware_requirements,
             description, category, input_schema, result_schema, example, created_at, updated_at
      FROM service_schedules`);
    await q.query(`ALTER TABLE jobs ADD COLUMN service_version bigint CHECK (service_version >= 1)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE jobs DROP COLUMN service_version`);
    await q.query(`DROP TABLE service_schedule_versions`);
    await q.query(`ALTER TABLE service_schedules DROP COLUMN category, DROP COLUMN input_schema,
      DROP COLUMN result_schema, DROP COLUMN example`);
  }
}
