import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The service registry: one price schedule per service. Prices are BIGINT micros, the size
 * factor an exact numeric (never a float); every PUT bumps `version`.
 */
export class ServiceRegistry1763790300000 implements MigrationInterface {
  name = 'ServiceRegistry1763790300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE service_schedules (
        id varchar(64) PRIMARY KEY CHECK (id ~ '^[a-z0-9._-]{1,64}$'),
        price_per_unit_micros bigint NOT NULL CHECK (price_per_unit_micros > 0),
        unit varchar(32) NOT NULL CHECK (unit ~ '^[a-z0-9_]{1,32}$'),
        size_factor numeric(24, 6) NOT NULL CHECK (size_factor > 0),
        minimum_charge_micros bigint NOT NULL CHECK (minimum_charge_micros >= 0),
        hardware_requirements jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(hardware_requirements) = 'object'),
        description varchar(512),
        version bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE service_schedules`);
  }
}
