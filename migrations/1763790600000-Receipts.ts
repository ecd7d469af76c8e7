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
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS receipt_keys`);
    await q.query(`DROP FUNCTION IF EXISTS receipt_keys_no_delete()`);
  }
}
