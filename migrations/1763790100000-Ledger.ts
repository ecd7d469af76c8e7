import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The double-entry ledger: accounts with cached counters (overdraft refused by a CHECK),
 * an append-only journal of transfers and their entries (legs), two-phase holds,
 * idempotency records and the outbox. Postings are computed by the PostingEngine and
 * written set-based, a batch at a time.
 */
export class Ledger1763790100000 implements MigrationInterface {
  name = 'Ledger1763790100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE accounts (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        kind varchar(16) NOT NULL CHECK (kind IN ('user', 'provider', 'platform', 'escrow', 'issuance')),
        owner_id varchar(128) NOT NULL,
        currency varchar(16) NOT NULL DEFAULT 'CREDIT',
        allow_negative boolean NOT NULL DEFAULT false,
        posted_debits bigint NOT NULL DEFAULT 0,
        posted_credits bigint NOT NULL DEFAULT 0,
        pending_debits bigint NOT NULL DEFAULT 0,
        pending_credits bigint NOT NULL DEFAULT 0,
        version bigint NOT NULL DEFAULT 0,
        head_hash bytea NOT NULL DEFAULT '\\x0000000000000000000000000000000000000000000000000000000000000000',
        metadata jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT accounts_identity_unique UNIQUE (kind, owner_id, currency),
        CONSTRAINT accounts_counters_non_negative
          CHECK (posted_debits >= 0 AND posted_credits >= 0 AND pending_debits >= 0 AND pending_credits >= 0),
        -- Invariant 2, enforced by the database itself: no overdraft, whatever the concurrency.
        CONSTRAINT accounts_available_non_negative
          CHECK (allow_negative OR posted_credits - posted_debits - pending_debits >= 0)
      )`);
    await q.query(`
      INSERT INTO accounts (kind, owner_id, allow_negative) VALUES
        ('platform', 'main', false), ('escrow', 'main', false), ('issuance', 'main', true)`);

    // The engine reserves a batch of sequence numbers before it writes the batch's transfers.
    await q.query(`CREATE SEQUENCE transfers_seq`);
    await q.query(`
      CREATE TABLE transfers (
        id uuid PRIMARY KEY,
        seq bigint NOT NULL UNIQUE DEFAULT nextval('transfers_seq'),
        kind varchar(16) NOT NULL
          CHECK (kind IN ('mint', 'spend', 'reward', 'refund', 'transfer', 'hold', 'capture', 'void', 'expire')),
        amount bigint NOT NULL CHECK (amount >= 0),
        hold_id uuid,
        job_id varchar(128),
        prover_id varchar(128),
        memo varchar(512),
        metadata jsonb,
        idempotency_key varchar(255),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX transfers_job_idx ON transfers (job_id, seq) WHERE job_id IS NOT NULL`);
    await q.query(`CREATE INDEX transfers_kind_idx ON transfers (kind, seq)`);
    await q.query(`CREATE INDEX transfers_created_idx ON transfers (created_at, seq)`);

    await q.query(`
      CREATE TABLE entries (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        transfer_id uuid NOT NULL,
        transfer_seq bigint NOT NULL,
        leg smallint NOT NULL,
        account_id bigint NOT NULL,
        side char(1) NOT NULL CHECK (side IN ('D', 'C')),
        phase varchar(8) NOT NULL CHECK (phase IN ('posted', 'pending', 'release')),
        amount bigint NOT NULL CHECK (amount > 0),
        posted_debits_after bigint NOT NULL,
        posted_credits_after bigint NOT NULL,
        pending_debits_after bigint NOT NULL,
        pending_credits_after bigint NOT NULL,
        version_after bigint NOT NULL,
        hash bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX entries_account_idx ON entries (account_id, transfer_seq)`);
    await q.query(`CREATE INDEX entries_transfer_idx ON entries (transfer_id)`);
    await q.query(`CREATE INDEX entries_account_time_idx ON entries (account_id, created_at, id)`);

    // Invariant 3: the journal is append-only.
    await q.query(`
      CREATE FUNCTION ledger_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'the ledger journal is append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME
          USING ERRCODE = 'restrict_violation';
      END $$`);
    for (const table of ['transfers', 'entries']) {
      await q.query(`
        CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table}
        FOR EACH ROW EXECUTE FUNCTION ledger_reject_change()`);
      await q.query(`
        CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table}
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change()`);
    }

    await q.query(`
      CREATE TABLE holds (
        id uuid PRIMARY KEY REFERENCES transfers (id),
        debit_account_id bigint NOT NULL REFERENCES accounts (id),
        credit_account_id bigint NOT NULL REFERENCES accounts (id),
        amount bigint NOT NULL CHECK (amount > 0),
        captured bigint NOT NULL DEFAULT 0 CHECK (captured >= 0 AND captured <= amount),
        status varchar(16) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'captured', 'voided', 'expired')),
        expires_at timestamptz,
        job_id varchar(128),
        resolved_by uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        resolved_at timestamptz
      )`);
    await q.query(
      `CREATE INDEX holds_expiry_idx ON holds (expires_at) WHERE status = 'pending' AND expires_at IS NOT NULL`,
    );

    await q.query(`
      CREATE TABLE idempotency_keys (
        scope varchar(160) NOT NULL,
        key varchar(255) NOT NULL,
        request_hash char(64) NOT NULL,
        status_code int NOT NULL,
        transfer_id uuid,
        error jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (scope, key)
      )`);

    await q.query(`
      CREATE TABLE outbox (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        event_id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
        event_type varchar(64) NOT NULL,
        partition_key varchar(160),
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz
      )`);
    await q.query(`CREATE INDEX outbox_unpublished_idx ON outbox (id) WHERE published_at IS NULL`);
    await q.query(`
      CREATE TABLE processed_events (
        handler varchar(128) NOT NULL,
        event_id uuid NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (handler, event_id)
      )`);

    await q.query(LEDGER_FUNCTIONS);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS ledger_transfer_view(uuid)`);
    await q.query(`DROP TABLE processed_events, outbox, idempotency_keys, holds, entries, transfers, accounts`);
    await q.query(`DROP FUNCTION IF EXISTS ledger_reject_change()`);
    await q.query(`DROP SEQUENCE IF EXISTS transfers_seq`);
  }
}

const LEDGER_FUNCTIONS = `
-- plpgsql, not sql: a SQL-language function is parsed and planned on every call.
CREATE FUNCTION ledger_transfer_view(p_transfer uuid) RETURNS jsonb LANGUAGE plpgsql STABLE AS $fn$
BEGIN
  RETURN (SELECT jsonb_build_object(
    'id', t.id, 'seq', t.seq::text, 'kind', t.kind, 'amount', t.amount::text, 'hold_id', t.hold_id,
    'job_id', t.job_id, 'prover_id', t.prover_id, 'memo', t.memo, 'metadata', t.metadata,
    'created_at', t.created_at,
    'entries', (SELECT jsonb_agg(jsonb_build_object(
        'account_type', (SELECT kind FROM accounts WHERE id = e.account_id),
        'account_id', (SELECT owner_id FROM accounts WHERE id = e.account_id),
        'side', e.side, 'phase', e.phase,
        'amount', e.amount::text,
        'posted_debits', e.posted_debits_after::text, 'posted_credits', e.posted_credits_after::text,
        'pending_debits', e.pending_debits_after::text, 'pending_credits', e.pending_credits_after::text,
        'version', e.version_after::text) ORDER BY e.leg)
      FROM entries e WHERE e.transfer_id = t.id))
  FROM transfers t WHERE t.id = p_transfer);
END $fn$;
`;
