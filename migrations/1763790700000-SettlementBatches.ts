import { MigrationInterface, QueryRunner } from 'typeorm';

/** Sealed settlement batches, their per-sink delivery status. */
export class SettlementBatches1763790700000 implements MigrationInterface {
  name = 'SettlementBatches1763790700000';

  async up(q: QueryRunner): Promise<void> {
    void q;
  }

  async down(q: QueryRunner): Promise<void> {
    void q;
  }
}
