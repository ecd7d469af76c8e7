import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A service's slashing terms, in every version: the basis points of a prover's bonded stake
 * slashed when its replica dissents from the majority (`slash_dissent_bps`) or when it goes
 * silent holding a job (`slash_timeout_bps`), 0 for none, and an optional cap on one slash
 * (`slash_cap_micros`, null: none).
 */
export class ServiceSlashing1763792260000 implements MigrationInterface {
  name = 'ServiceSlashing1763792260000';

  async up(q: QueryRunner): Promise<void> {
    for (const table of ['service_schedules', 'service_schedule_versions']) {
      await q.query(`ALTER TABLE ${table}
        ADD COLUMN slash_dissent_bps integer NOT NULL DEFAULT 0
          CHECK (slash_dissent_bps BETWEEN 0 AND 10000),
        ADD COLUMN slash_timeout_bps integer NOT NULL DEFAULT 0
          CHECK (slash_timeout_bps BETWEEN 0 AND 10000),
        ADD COLUMN slash_cap_micros bigint
          CHECK (slash_cap_micros IS NULL OR slash_cap_micros >= 0)`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['service_schedule_versions', 'service_schedules']) {
      await q.query(`ALTER TABLE ${table} DROP COLUMN slash_cap_micros, DROP COLUMN slash_timeout_bps,
        DROP COLUMN slash_dissent_bps`);
    }
  }
}
