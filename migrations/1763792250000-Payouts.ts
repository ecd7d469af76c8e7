import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Payouts: a prover's earnings on their way out of the ledger. The `payout` clearing account
 * is a singleton like platform, escrow and issuance (created here, never by a credit); each
 * payout is one row, pending until an admin (or a settlement sink) confirms or fails it, and
 * names the ledger hold that moves its money (provider → payout).
 */
export class Payouts1763792250000 implements MigrationInterface {
  name = 'Payouts1763792250000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `INSERT INTO accounts (kind, owner_id, allow_negative) VALUES ('payout', 'main', false)
       ON CONFLICT (kind, owner_id, currency) DO NOTHING`,
    );
    await q.query(`
      CREATE TABLE payouts (
        id uuid PRIMARY KEY,
        prover_id varchar(128) NOT NULL,
        amount_micros bigint NOT NULL CHECK (amount_micros > 0),
        status varchar(16) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'confirmed', 'failed')),
        hold_id uuid NOT NULL UNIQUE,
        external_ref varchar(255),
        reason varchar(512),
        created_at timestamptz NOT NULL DEFAULT now(),
        resolved_at timestamptz,
        CONSTRAINT payouts_resolution_check CHECK (
          (status = 'pending' AND resolved_at IS NULL AND external_ref IS NULL AND reason IS NULL)
          OR (status = 'confirmed' AND resolved_at IS NOT NULL AND external_ref IS NOT NULL AND reason IS NULL)
          OR (status = 'failed' AND resolved_at IS NOT NULL AND reason IS NOT NULL AND external_ref IS NULL))
      )`);
    // A prover's payouts, newest first; and the payouts in a state (those owed: pending), newest first.
    await q.query(`CREATE INDEX payouts_prover_idx ON payouts (prover_id, created_at, id)`);
    await q.query(`CREATE INDEX payouts_status_idx ON payouts (status, created_at, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE payouts`);
    await q.query(`DELETE FROM accounts WHERE kind = 'payout' AND owner_id = 'main' AND version = 0`);
  }
}
