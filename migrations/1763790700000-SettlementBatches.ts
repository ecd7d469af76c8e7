import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sealed settlement batches, what proofs are served from, and per-sink delivery status.
 *
 * Membership of a batch is drawn by transaction id, not by sequence number: sequence
 * numbers are taken at insert but transactions commit in another order. Each transfer
 * records the id of the transaction that inserted it; a seal takes the horizon
 * h = pg_snapshot_xmin(pg_current_snapshot()) (every transaction below it has ended) and
 * batch n holds exactly the transfers with h(n-1) <= xact_id < h(n).
 */
export class SettlementBatches1763790700000 implements MigrationInterface {
  name = 'SettlementBatches1763790700000';

  async up(q: QueryRunner): Promise<void> {
    // Existing rows get this migration's transaction id: all committed, all below any later horizon.
    await q.query(`ALTER TABLE transfers ADD COLUMN xact_id xid8 NOT NULL DEFAULT pg_current_xact_id()`);
    await q.query(`CREATE INDEX transfers_xact_idx ON transfers (xact_id)`);

    await q.query(`
      CREATE TABLE settlement_batches (
        batch_no bigint PRIMARY KEY CHECK (batch_no > 0),
        prev_batch_hash char(64) NOT NULL,
        horizon xid8 NOT NULL,
        first_seq bigint NOT NULL,
        last_seq bigint NOT NULL,
        transfer_count int NOT NULL CHECK (transfer_count > 0),
        transfers_root char(64) NOT NULL,
        balances_root char(64) NOT NULL,
        account_count int NOT NULL,
        total_supply bigint NOT NULL CHECK (total_supply >= 0),
        created_at timestamptz NOT NULL,
        key_id char(64) NOT NULL,
        signature char(128) NOT NULL,
        batch_hash char(64) NOT NULL UNIQUE
      )`);
    // Each transfer in at most one batch (the primary key), at its leaf position. No foreign
    // keys: a seal writes 100,000 rows at once, and `ledger verify` checks them against the journal.
    await q.query(`
      CREATE TABLE settlement_batch_transfers (
        transfer_id uuid PRIMARY KEY,
        batch_no bigint NOT NULL,
        position int NOT NULL,
        leaf_hash bytea NOT NULL,
        CONSTRAINT settlement_batch_transfers_position UNIQUE (batch_no, position)
      )`);
    // The balance of each account a batch touched, after it; an account's balance at batch n
    // is its row with the highest batch_no <= n (so an untouched account costs nothing per batch).
    // No foreign key to accounts: its check would take a share lock on every account of the
    // batch, hot ones included, and queue (or deadlock) behind postings; accounts are never deleted.
    await q.query(`
      CREATE TABLE settlement_balances (
        account_id bigint NOT NULL,
        batch_no bigint NOT NULL REFERENCES settlement_batches (batch_no),
        balance bigint NOT NULL CHECK (balance >= 0),
        leaf_hash bytea NOT NULL,
        PRIMARY KEY (account_id, batch_no)
      )`);
    for (const table of ['settlement_batches', 'settlement_batch_transfers', 'settlement_balances']) {
      await q.query(`
        CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table}
        FOR EACH ROW EXECUTE FUNCTION ledger_reject_change()`);
      await q.query(`
        CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table}
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change()`);
    }

    // 'failed' = the last attempt failed; it is retried at next_attempt_at like 'pending'.
    await q.query(`
      CREATE TABLE settlement_deliveries (
        sink varchar(32) NOT NULL,
        batch_no bigint NOT NULL REFERENCES settlement_batches (batch_no),
        status varchar(16) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts int NOT NULL DEFAULT 0,
        last_error text,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz,
        -- A replica delivering this batch holds it until then (no connection is held meanwhile).
        lease_token uuid,
        lease_until timestamptz,
        PRIMARY KEY (sink, batch_no)
      )`);
    await q.query(
      `CREATE INDEX settlement_deliveries_open_idx ON settlement_deliveries (sink, batch_no) WHERE status <> 'delivered'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `DROP TABLE settlement_deliveries, settlement_balances, settlement_batch_transfers, settlement_batches`,
    );
    await q.query(`DROP INDEX IF EXISTS transfers_xact_idx`);
    await q.query(`ALTER TABLE transfers DROP COLUMN xact_id`);
  }
}
