import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Batches computed from rows read without a lock are written in one statement that
 * checks those rows have not moved (their versions, their states); this function fails
 * the statement, and so rolls all of it back, when they have.
 */
export class StatementGuards1763791000000 implements MigrationInterface {
  name = 'StatementGuards1763791000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION tally_expect(ok boolean, what text) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
      BEGIN
        IF ok IS NOT TRUE THEN
          RAISE EXCEPTION 'the batch is stale: %', what USING ERRCODE = 'TL002';
        END IF;
        RETURN true;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS tally_expect(boolean, text)`);
  }
}
