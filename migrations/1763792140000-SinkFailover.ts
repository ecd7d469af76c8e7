import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The settlement sink chain's failover: one row with the chain's state (every replica
 * moves it under its row lock), each sink's consecutive successes and failures, and on
 * each delivery what the sink acknowledged holding, for the consistency report.
 */
export class SinkFailover1763792140000 implements MigrationInterface {
  name = 'SinkFailover1763792140000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE settlement_failover (
        id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
        state varchar(16) NOT NULL DEFAULT 'healthy'
          CHECK (state IN ('healthy', 'warning', 'degraded', 'emergency', 'recovering')),
        reason text,
        since timestamptz NOT NULL DEFAULT now(),
        last_fallback_at timestamptz
      )`);
    await q.query(`INSERT INTO settlement_failover (id) VALUES (1)`);
    await q.query(`
      CREATE TABLE settlement_sink_health (
        sink varchar(32) PRIMARY KEY,
        consecutive_failures int NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
        consecutive_successes int NOT NULL DEFAULT 0 CHECK (consecutive_successes >= 0),
        last_success_at timestamptz,
        last_failure_at timestamptz,
        last_error text
      )`);
    // What the sink said it stored (hex SHA-256s), set when the delivery is recorded.
    await q.query(`
      ALTER TABLE settlement_deliveries
        ADD COLUMN ack_batch_hash varchar(64),
        ADD COLUMN ack_transfers_root varchar(64),
        ADD COLUMN ack_balances_root varchar(64)`);
    await q.query(
      `CREATE INDEX settlement_deliveries_batch_idx ON settlement_deliveries (batch_no) WHERE status = 'delivered'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX settlement_deliveries_batch_idx`);
    await q.query(`
      ALTER TABLE settlement_deliveries
        DROP COLUMN ack_batch_hash, DROP COLUMN ack_transfers_root, DROP COLUMN ack_balances_root`);
    await q.query(`DROP TABLE settlement_sink_health, settlement_failover`);
  }
}
