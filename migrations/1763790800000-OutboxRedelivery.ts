import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An outbox row whose handler threw is published again, with backoff: how many times it
 * was handed back, and not before when.
 */
export class OutboxRedelivery1763790800000 implements MigrationInterface {
  name = 'OutboxRedelivery1763790800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox ADD COLUMN redeliveries int NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE outbox ADD COLUMN next_attempt_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox DROP COLUMN next_attempt_at, DROP COLUMN redeliveries`);
  }
}
