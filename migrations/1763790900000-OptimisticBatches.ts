import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A batch of postings computed from account states the app already knew is written in one
 * statement that checks those states are still current (their versions); this function
 * fails the statement, and so rolls the whole batch back, when they are not.
 */
export class OptimisticBatches1763790900000 implements MigrationInterface {
  name = 'OptimisticBatches1763790900000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION ledger_batch_current(ok boolean) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
      BEGIN
        IF NOT ok THEN
          RAISE EXCEPTION 'the batch was computed from account states that have moved' USING ERRCODE = 'TL001';
        END IF;
        RETURN true;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS ledger_batch_current(boolean)`);
  }
}
