import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A service's economics, kept per schedule version (a job settles by the version it was
 * priced with): `fee_bps` overrides the platform's fee (NULL: the platform default), and
 * `base_share_bps` is the part of the provers' pool shared by every replica that reported
 * (0: the majority shares the whole pool, as before).
 */
export class ServiceEconomics1763792230000 implements MigrationInterface {
  name = 'ServiceEconomics1763792230000';

  async up(q: QueryRunner): Promise<void> {
    for (const table of ['service_schedules', 'service_schedule_versions']) {
      await q.query(`
        ALTER TABLE ${table}
          ADD COLUMN fee_bps integer CHECK (fee_bps BETWEEN 0 AND 10000),
          ADD COLUMN base_share_bps integer NOT NULL DEFAULT 0 CHECK (base_share_bps BETWEEN 0 AND 10000)`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['service_schedules', 'service_schedule_versions']) {
      await q.query(`ALTER TABLE ${table} DROP COLUMN fee_bps, DROP COLUMN base_share_bps`);
    }
  }
}
