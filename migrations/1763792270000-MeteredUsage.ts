import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Metered payments for long jobs: what a job's prover has reported so far (its cumulative
 * units, null before any report), what that usage cost (captured from the hold as it went)
 * and what of it the platform kept (its fee and rounding).
 */
export class MeteredUsage1763792270000 implements MigrationInterface {
  name = 'MeteredUsage1763792270000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE jobs
      ADD COLUMN metered_units numeric(24, 6) CHECK (metered_units IS NULL OR metered_units > 0),
      ADD COLUMN metered_micros bigint NOT NULL DEFAULT 0 CHECK (metered_micros >= 0),
      ADD COLUMN metered_fee_micros bigint NOT NULL DEFAULT 0
        CHECK (metered_fee_micros >= 0 AND metered_fee_micros <= metered_micros)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE jobs DROP COLUMN metered_fee_micros, DROP COLUMN metered_micros, DROP COLUMN metered_units`,
    );
  }
}
