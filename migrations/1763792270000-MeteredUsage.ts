import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Metered payments for long jobs: what a job's prover has reported so far (its cumulative
 * units, null before any report), what that usage cost (captured from the hold as it went)
 * and what of it the platform kept (its fee and rounding), the prover it was paid to; under a service's `metered_refund:
 * all`, the hold of the prover's share until the job completes. A service's schedule (every
 * version) says what a failed or cancelled metered job gives back: `earned` or `all`.
 */
export class MeteredUsage1763792270000 implements MigrationInterface {
  name = 'MeteredUsage1763792270000';

  async up(q: QueryRunner): Promise<void> {
    for (const table of ['service_schedules', 'service_schedule_versions']) {
      await q.query(`ALTER TABLE ${table} ADD COLUMN metered_refund varchar(8) NOT NULL DEFAULT 'earned'
        CHECK (metered_refund IN ('earned', 'all'))`);
    }
    await q.query(`ALTER TABLE jobs
      ADD COLUMN metered_units numeric(24, 6) CHECK (metered_units IS NULL OR metered_units > 0),
      ADD COLUMN metered_micros bigint NOT NULL DEFAULT 0 CHECK (metered_micros >= 0),
      ADD COLUMN metered_fee_micros bigint NOT NULL DEFAULT 0
        CHECK (metered_fee_micros >= 0 AND metered_fee_micros <= metered_micros),
      ADD COLUMN metered_refund varchar(8) CHECK (metered_refund IN ('earned', 'all')),
      ADD COLUMN metered_prover_id varchar(128),
      ADD COLUMN reward_hold_id uuid`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE jobs DROP COLUMN reward_hold_id, DROP COLUMN metered_prover_id, DROP COLUMN metered_refund,
      DROP COLUMN metered_fee_micros, DROP COLUMN metered_micros, DROP COLUMN metered_units`);
    await q.query(`ALTER TABLE service_schedule_versions DROP COLUMN metered_refund`);
    await q.query(`ALTER TABLE service_schedules DROP COLUMN metered_refund`);
  }
}
