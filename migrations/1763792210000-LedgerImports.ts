import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The time of the last imported transfer (a batch item with `imported`): history is imported
 * in order, so an import never dates a transfer before it. One row, locked by each import.
 */
export class LedgerImports1763792210000 implements MigrationInterface {
  name = 'LedgerImports1763792210000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE ledger_import_watermark (
         id smallint PRIMARY KEY CHECK (id = 1),
         last_created_at timestamptz
       )`,
    );
    await q.query(`INSERT INTO ledger_import_watermark (id, last_created_at) VALUES (1, NULL)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ledger_import_watermark`);
  }
}
