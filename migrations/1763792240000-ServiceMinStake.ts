import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A service may require a minimum bonded stake of the provers its jobs go to
 * (`min_stake_micros`), in every version. Null: no minimum.
 */
export class ServiceMinStake1763792240000 implements MigrationInterface {
  name = 'ServiceMinStake1763792240000';

  async up(q: QueryRunner): Promise<void> {
    for (const table of ['service_schedules', 'service_schedule_versions']) {
      await q.query(`ALTER TABLE ${table} ADD COLUMN min_stake_micros bigint
        CHECK (min_stake_micros IS NULL OR min_stake_micros >= 0)`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE service_schedule_versions DROP COLUMN min_stake_micros`);
    await q.query(`ALTER TABLE service_schedules DROP COLUMN min_stake_micros`);
  }
}
