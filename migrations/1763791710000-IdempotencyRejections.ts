import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An Idempotency-Key keeps what its request came to, not the HTTP status it was answered
 * with: `outcome` (posted, rejected; created or existing for an account) and, for a refused
 * posting, the ledger's `rejection` (its reason and detail). The DSE code and status of a
 * replayed refusal follow from the reason, as for a fresh one. Rows written before are
 * converted from their status and error code (an unknown hold was once stored as DSE-001
 * with its 404).
 */
export class IdempotencyRejections1763791710000 implements MigrationInterface {
  name = 'IdempotencyRejections1763791710000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE idempotency_keys ADD COLUMN outcome varchar(16), ADD COLUMN rejection jsonb`);
    await q.query(
      `UPDATE idempotency_keys SET
         outcome = CASE WHEN error IS NOT NULL THEN 'rejected' WHEN transfer_id IS NOT NULL THEN 'posted'
                        WHEN status_code = 201 THEN 'created' WHEN status_code = 200 THEN 'existing'
                        ELSE 'claimed' END,
         rejection = CASE WHEN error IS NOT NULL THEN jsonb_build_object(
           'reason', CASE error->>'code'
                       WHEN 'DSE-008' THEN 'insufficient-credits'
                       WHEN 'DSE-011' THEN 'unknown-account'
                       WHEN 'DSE-015' THEN 'unknown-hold'
                       WHEN 'DSE-013' THEN 'capture-exceeds-hold'
                       WHEN 'DSE-010' THEN CASE WHEN error->>'detail' = 'hold has expired' THEN 'hold-expired'
                                                ELSE 'hold-not-open' END
                       WHEN 'DSE-001' THEN CASE WHEN status_code = 404 THEN 'unknown-hold'
                                                WHEN error->>'detail' LIKE '%int64%' THEN 'beyond-int64'
                                                ELSE 'unbalanced' END
                     END,
           'detail', error->>'detail') END`,
    );
    await q.query(
      `ALTER TABLE idempotency_keys ALTER COLUMN outcome SET NOT NULL, DROP COLUMN status_code, DROP COLUMN error,
         ADD CONSTRAINT idempotency_keys_outcome_check
           CHECK (outcome IN ('claimed', 'posted', 'rejected', 'created', 'existing')),
         ADD CONSTRAINT idempotency_keys_rejection_check
           CHECK ((outcome = 'rejected') = (rejection IS NOT NULL AND rejection->>'reason' IS NOT NULL))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_rejection_check,
         DROP CONSTRAINT idempotency_keys_outcome_check, ADD COLUMN status_code int, ADD COLUMN error jsonb`,
    );
    await q.query(
      `UPDATE idempotency_keys SET
         status_code = CASE outcome WHEN 'posted' THEN 201 WHEN 'created' THEN 201 WHEN 'existing' THEN 200
                         WHEN 'claimed' THEN 0
                         ELSE CASE rejection->>'reason'
                                WHEN 'insufficient-credits' THEN 402 WHEN 'unknown-account' THEN 404
                                WHEN 'unknown-hold' THEN 404 WHEN 'hold-not-open' THEN 409 WHEN 'hold-expired' THEN 409
                                WHEN 'capture-exceeds-hold' THEN 422 ELSE 400 END END,
         error = CASE WHEN rejection IS NOT NULL THEN jsonb_build_object(
           'code', CASE rejection->>'reason'
                     WHEN 'insufficient-credits' THEN 'DSE-008' WHEN 'unknown-account' THEN 'DSE-011'
                     WHEN 'unknown-hold' THEN 'DSE-015' WHEN 'hold-not-open' THEN 'DSE-010'
                     WHEN 'hold-expired' THEN 'DSE-010' WHEN 'capture-exceeds-hold' THEN 'DSE-013' ELSE 'DSE-001' END,
           'detail', rejection->>'detail') END`,
    );
    await q.query(
      `ALTER TABLE idempotency_keys ALTER COLUMN status_code SET NOT NULL, DROP COLUMN outcome, DROP COLUMN rejection`,
    );
  }
}
