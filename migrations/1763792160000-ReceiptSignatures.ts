import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Quorum-signed receipts: each signer's countersignature over a receipt's statement, at most
 * one per (receipt, signer), kept forever like the receipts; and the `verification` receipt
 * kind (a replicated job's majority, between execution and settlement).
 */
export class ReceiptSignatures1763792160000 implements MigrationInterface {
  name = 'ReceiptSignatures1763792160000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE receipts DROP CONSTRAINT receipts_kind_check`);
    await q.query(
      `ALTER TABLE receipts ADD CONSTRAINT receipts_kind_check
         CHECK (kind IN ('assignment', 'execution', 'verification', 'settlement'))`,
    );
    await q.query(`
      CREATE TABLE receipt_signatures (
        receipt_id uuid NOT NULL REFERENCES receipts (receipt_id),
        signer_id varchar(64) NOT NULL,
        key_id character(64) NOT NULL REFERENCES receipt_keys (key_id),
        signature character(128) NOT NULL,
        signed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (receipt_id, signer_id)
      )`);
    await q.query(`CREATE TRIGGER receipt_signatures_append_only BEFORE DELETE OR UPDATE ON receipt_signatures
        FOR EACH ROW EXECUTE FUNCTION ledger_reject_change()`);
    await q.query(`CREATE TRIGGER receipt_signatures_no_truncate BEFORE TRUNCATE ON receipt_signatures
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE receipt_signatures`);
    await q.query(`ALTER TABLE receipts DROP CONSTRAINT receipts_kind_check`);
    await q.query(
      `ALTER TABLE receipts ADD CONSTRAINT receipts_kind_check CHECK (kind IN ('assignment', 'execution', 'settlement'))`,
    );
  }
}
