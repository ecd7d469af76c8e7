import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Balance alerts (thresholds on an account's available balance). `accounts.has_alerts` says
 * whether an account has any: postings read it with the account's row, so an account
 * without alerts pays nothing more, and one with alerts has them evaluated in the same
 * transaction, under the account's lock (so racing postings fire an alert once).
 */
export class BalanceAlerts1763792000000 implements MigrationInterface {
  name = 'BalanceAlerts1763792000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE accounts ADD COLUMN has_alerts boolean NOT NULL DEFAULT false`);
    await q.query(`
      CREATE TABLE balance_alerts (
        id uuid PRIMARY KEY,
        account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        direction varchar(5) NOT NULL CHECK (direction IN ('below', 'above')),
        threshold bigint NOT NULL CHECK (threshold >= 0),
        armed boolean NOT NULL,
        fired_count integer NOT NULL DEFAULT 0,
        last_fired_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX balance_alerts_account_idx ON balance_alerts (account_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE balance_alerts`);
    await q.query(`ALTER TABLE accounts DROP COLUMN has_alerts`);
  }
}
