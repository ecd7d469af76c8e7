import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An account's holds, newest first (GET /v1/credits/accounts/{type}/{id}/holds): by the
 * account they debit (a user's) or credit (escrow), each an index range.
 */
export class AccountHolds1763792180000 implements MigrationInterface {
  name = 'AccountHolds1763792180000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX holds_debit_account_idx ON holds (debit_account_id, created_at, id)`);
    await q.query(`CREATE INDEX holds_credit_account_idx ON holds (credit_account_id, created_at, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX holds_credit_account_idx`);
    await q.query(`DROP INDEX holds_debit_account_idx`);
  }
}
