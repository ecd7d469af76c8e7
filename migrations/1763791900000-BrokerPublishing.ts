import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The broker relay's state on each outbox row, apart from the in-process relay's
 * (published_at): a row is on the broker once JetStream acked every message of it. Rows
 * already there were written before any broker: they are not replayed.
 */
export class BrokerPublishing1763791900000 implements MigrationInterface {
  name = 'BrokerPublishing1763791900000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE outbox
        ADD COLUMN broker_published_at timestamptz,
        ADD COLUMN broker_attempts integer NOT NULL DEFAULT 0,
        ADD COLUMN broker_error text
    `);
    await q.query(`UPDATE outbox SET broker_published_at = now()`);
    await q.query(`CREATE INDEX outbox_broker_pending_idx ON outbox (id) WHERE broker_published_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX outbox_broker_pending_idx`);
    await q.query(
      `ALTER TABLE outbox DROP COLUMN broker_published_at, DROP COLUMN broker_attempts, DROP COLUMN broker_error`,
    );
  }
}
