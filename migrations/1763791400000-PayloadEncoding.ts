import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * How a job's payload was sent: JSON, or bytes as base64 (stored as {"base64": …}). Kept
 * with the job, so a prover is told which it got: a JSON payload {"base64": …} and base64
 * bytes are stored alike and could not be told apart.
 */
export class PayloadEncoding1763791400000 implements MigrationInterface {
  name = 'PayloadEncoding1763791400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE jobs ADD COLUMN payload_encoding varchar(8) NOT NULL DEFAULT 'json'
       CHECK (payload_encoding IN ('json', 'base64'))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE jobs DROP COLUMN payload_encoding`);
  }
}
