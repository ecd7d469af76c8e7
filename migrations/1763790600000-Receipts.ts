import { MigrationInterface, QueryRunner } from 'typeorm';

/** Signing keys (active and retired) and the receipt chain of every job. */
export class Receipts1763790600000 implements MigrationInterface {
  name = 'Receipts1763790600000';

  async up(q: QueryRunner): Promise<void> {
    // Public keys only: the private seeds stay in the environment (or the embedded data dir).
    // A retired key is kept forever so whatever it signed keeps verifying.
    await q.query(`
      CREATE TABLE receipt_keys (
        key_id char(64) PRIMARY KEY,
        public_key char(64) NOT NULL UNIQUE,
        purpose varchar(16) NOT NULL CHECK (purpose IN ('signing', 'attestation')),
        status varchar(16) NOT NULL CHECK (status IN ('active', 'retired')),
        created_at timestamptz NOT NULL DEFAULT now(),
        retired_at timestamptz,
        CHECK ((status = 'retired') = (retired_at IS NOT NULL))
      )`);
    await q.query(`CREATE UNIQUE INDEX receipt_keys_one_active ON receipt_keys (purpose) WHERE status = 'active'`);
    await q.query(`CREATE FUNCTION receipt_keys_no_delete() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'published receipt keys are kept forever' USING ERRCODE = 'restrict_violation';
      END $$`);
    await q.query(`
      CREATE TRIGGER receipt_keys_keep BEFORE DELETE ON receipt_keys
      FOR EACH ROW EXECUTE FUNCTION receipt_keys_no_delete()`);

    // Append-only, like the journal: a signed receipt is never changed or removed.
    await q.query(`
      CREATE TABLE receipts (
        receipt_id uuid PRIMARY KEY,
        network_job_id uuid NOT NULL REFERENCES jobs (network_job_id),
        seq int NOT NULL CHECK (seq >= 1),
        kind varchar(16) NOT NULL CHECK (kind IN ('assignment', 'execution', 'settlement')),
        -- The assignment round a receipt belongs to (a requeued job is assigned again).
        round int NOT NULL CHECK (round >= 0),
        receipt_hash char(64) NOT NULL UNIQUE,
        prev_receipt_hash char(64) REFERENCES receipts (receipt_hash),
        key_id char(64) NOT NULL REFERENCES receipt_keys (key_id),
        document jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (network_job_id, seq),
        UNIQUE (network_job_id, kind, round),
        CHECK ((seq = 1) = (prev_receipt_hash IS NULL))
      )`);
    await q.query(`CREATE UNIQUE INDEX receipts_one_settlement ON receipts (network_job_id) WHERE kind = 'settlement'`);
    await q.query(`
      CREATE TRIGGER receipts_append_only BEFORE UPDATE OR DELETE ON receipts
      FOR EACH ROW EXECUTE FUNCTION ledger_reject_change()`);
    await q.query(`
      CREATE TRIGGER receipts_no_truncate BEFORE TRUNCATE ON receipts
      FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS receipts`);
    await q.query(`DROP TABLE IF EXISTS receipt_keys`);
    await q.query(`DROP FUNCTION IF EXISTS receipt_keys_no_delete()`);
  }
}
