import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The double-entry ledger: accounts with cached counters, an append-only journal of
 * transfers and their entries (legs), two-phase holds, idempotency records, the outbox,
 * and `ledger_post`, the one function through which every posting goes.
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

    await q.query(`
      CREATE TABLE transfers (
        id uuid PRIMARY KEY,
        seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
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
        transfer_id uuid NOT NULL REFERENCES transfers (id),
        transfer_seq bigint NOT NULL,
        account_id bigint NOT NULL REFERENCES accounts (id),
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
    await q.query(`CREATE INDEX holds_expiry_idx ON holds (expires_at) WHERE status = 'pending' AND expires_at IS NOT NULL`);

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
    await q.query(`DROP FUNCTION IF EXISTS ledger_post(jsonb)`);
    await q.query(`DROP FUNCTION IF EXISTS ledger_post_one(jsonb)`);
    await q.query(`DROP FUNCTION IF EXISTS ledger_transfer_view(uuid)`);
    await q.query(`DROP TABLE processed_events, outbox, idempotency_keys, holds, entries, transfers, accounts`);
    await q.query(`DROP FUNCTION IF EXISTS ledger_reject_change()`);
    await q.query(`DROP TYPE IF EXISTS ledger_leg`);
  }
}

const LEDGER_FUNCTIONS = `
CREATE TYPE ledger_leg AS (n int, account_id bigint, side char(1), phase varchar(8), amount bigint, ref text);

-- The transfer as the API shows it: header, legs with each account's state after the leg.
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
        'version', e.version_after::text) ORDER BY e.id)
      FROM entries e WHERE e.transfer_id = t.id))
  FROM transfers t WHERE t.id = p_transfer);
END $fn$;

-- One posting request. Returns {outcome, status, transfer | error}. Business failures
-- (insufficient credits, unknown account, hold not pending) change nothing but the
-- idempotency record, so a retry with the same key cannot flip the outcome.
CREATE FUNCTION ledger_post_one(item jsonb) RETURNS jsonb LANGUAGE plpgsql AS $fn$
DECLARE
  v_id uuid := (item->>'id')::uuid;
  v_kind varchar := item->>'kind';
  v_scope varchar := item->>'scope';
  v_key varchar := item->>'idempotency_key';
  v_hash varchar := item->>'request_hash';
  v_legs jsonb := COALESCE(item->'legs', '[]'::jsonb);
  v_hold holds%ROWTYPE;
  v_hold_id uuid := (item->>'hold_id')::uuid;
  v_amount bigint;
  v_seq bigint;
  v_existing idempotency_keys%ROWTYPE;
  v_error jsonb;
  v_status int;
  v_missing text;
  v_short text;
  v_event varchar;
  v_resolved ledger_leg[];
BEGIN
  IF v_key IS NOT NULL THEN
    INSERT INTO idempotency_keys (scope, key, request_hash, status_code)
    VALUES (v_scope, v_key, v_hash, 0) ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
      SELECT * INTO v_existing FROM idempotency_keys WHERE scope = v_scope AND key = v_key;
      IF v_existing.request_hash <> v_hash THEN
        RETURN jsonb_build_object('outcome', 'conflict', 'status', 409, 'error',
          jsonb_build_object('code', 'DSE-009', 'detail', 'this Idempotency-Key was used with a different request'));
      END IF;
      IF v_existing.transfer_id IS NOT NULL THEN
        RETURN jsonb_build_object('outcome', 'replay', 'status', v_existing.status_code,
          'transfer', ledger_transfer_view(v_existing.transfer_id));
      END IF;
      RETURN jsonb_build_object('outcome', 'replay', 'status', v_existing.status_code, 'error', v_existing.error);
    END IF;
  END IF;

  -- Capture, void and expire derive their legs from the hold they resolve.
  IF v_kind IN ('capture', 'void', 'expire') THEN
    SELECT * INTO v_hold FROM holds WHERE id = v_hold_id;
    IF NOT FOUND THEN
      v_status := 404; v_error := jsonb_build_object('code', 'DSE-001', 'detail', 'no such hold');
    ELSIF v_hold.status <> 'pending' THEN
      v_status := 409; v_error := jsonb_build_object('code', 'DSE-010', 'detail', 'hold is already ' || v_hold.status);
    ELSIF v_kind = 'capture' AND v_hold.expires_at IS NOT NULL AND v_hold.expires_at <= now() THEN
      v_status := 409; v_error := jsonb_build_object('code', 'DSE-010', 'detail', 'hold has expired');
    ELSIF v_kind = 'capture' AND (item->>'amount')::bigint > v_hold.amount THEN
      v_status := 422; v_error := jsonb_build_object('code', 'DSE-013', 'detail', 'capture exceeds the held amount');
    END IF;
    IF v_error IS NULL THEN
      v_legs := jsonb_build_array(
        jsonb_build_object('account', v_hold.debit_account_id, 'side', 'D', 'phase', 'release', 'amount', v_hold.amount),
        jsonb_build_object('account', v_hold.credit_account_id, 'side', 'C', 'phase', 'release', 'amount', v_hold.amount));
      IF v_kind = 'capture' AND (item->>'amount')::bigint > 0 THEN
        v_legs := v_legs || jsonb_build_array(
          jsonb_build_object('account', v_hold.debit_account_id, 'side', 'D', 'phase', 'posted', 'amount', item->>'amount'),
          jsonb_build_object('kind', item#>>'{to,kind}', 'owner', item#>>'{to,owner}', 'side', 'C', 'phase', 'posted',
                             'amount', item->>'amount'));
      END IF;
    END IF;
  END IF;

  IF v_error IS NULL THEN
    -- Resolve every leg to its account id (accounts were created and locked by ledger_post).
    v_resolved := ARRAY(
      SELECT ROW(l.n,
                 COALESCE((l.leg->>'account')::bigint,
                          (SELECT a.id FROM accounts a
                           WHERE a.kind = l.leg->>'kind' AND a.owner_id = l.leg->>'owner' AND a.currency = 'CREDIT')),
                 l.leg->>'side', l.leg->>'phase', (l.leg->>'amount')::bigint,
                 (l.leg->>'kind') || '/' || (l.leg->>'owner'))::ledger_leg
      FROM jsonb_array_elements(v_legs) WITH ORDINALITY AS l(leg, n));

    SELECT string_agg(ref, ', ') INTO v_missing FROM unnest(v_resolved) WHERE account_id IS NULL;
    IF v_missing IS NOT NULL THEN
      v_status := 404; v_error := jsonb_build_object('code', 'DSE-011', 'detail', 'no such account: ' || v_missing);
    ELSE
      -- Net effect per account; refuse before touching anything if one would be overdrawn.
      SELECT string_agg(a.kind || '/' || a.owner_id, ', ') INTO v_short
      FROM (SELECT account_id,
                   sum(CASE WHEN phase = 'posted' AND side = 'C' THEN amount ELSE 0 END)
                 - sum(CASE WHEN phase = 'posted' AND side = 'D' THEN amount ELSE 0 END)
                 - sum(CASE WHEN side = 'D' AND phase = 'pending' THEN amount
                            WHEN side = 'D' AND phase = 'release' THEN -amount ELSE 0 END) AS delta
            FROM unnest(v_resolved) GROUP BY account_id) d
      JOIN LATERAL (SELECT * FROM accounts WHERE id = d.account_id) a ON true
      WHERE NOT a.allow_negative AND d.delta < 0
        AND a.posted_credits - a.posted_debits - a.pending_debits + d.delta < 0;
      IF v_short IS NOT NULL THEN
        v_status := 402; v_error := jsonb_build_object('code', 'DSE-008', 'detail', 'insufficient credits in ' || v_short);
      END IF;
    END IF;
  END IF;

  IF v_error IS NOT NULL THEN
    IF v_key IS NOT NULL THEN
      UPDATE idempotency_keys SET status_code = v_status, error = v_error WHERE scope = v_scope AND key = v_key;
    END IF;
    RETURN jsonb_build_object('outcome', 'rejected', 'status', v_status, 'error', v_error);
  END IF;

  v_amount := CASE WHEN v_kind IN ('void', 'expire') THEN v_hold.amount
                   WHEN v_kind = 'capture' THEN (item->>'amount')::bigint
                   ELSE (SELECT COALESCE(sum(amount), 0) FROM unnest(v_resolved) WHERE side = 'D') END;
  INSERT INTO transfers (id, kind, amount, hold_id, job_id, prover_id, memo, metadata, idempotency_key)
  VALUES (v_id, v_kind, v_amount, COALESCE(v_hold_id, CASE WHEN v_kind = 'hold' THEN v_id END),
          item->>'job_id', item->>'prover_id', item->>'memo', item->'metadata', v_key)
  RETURNING seq INTO v_seq;

  -- All legs in one statement: each account's counters move by the legs' net effect (the
  -- overdraft CHECK sees only the net), its version by one and its hash chain by this
  -- transfer's legs; each entry records the account's counters after that leg, in leg order.
  WITH l AS (
    SELECT r.*,
      CASE WHEN phase = 'posted' AND side = 'D' THEN amount ELSE 0 END AS dpd,
      CASE WHEN phase = 'posted' AND side = 'C' THEN amount ELSE 0 END AS dpc,
      CASE WHEN side = 'D' THEN CASE phase WHEN 'pending' THEN amount WHEN 'release' THEN -amount ELSE 0 END ELSE 0 END AS dnd,
      CASE WHEN side = 'C' THEN CASE phase WHEN 'pending' THEN amount WHEN 'release' THEN -amount ELSE 0 END ELSE 0 END AS dnc
    FROM unnest(v_resolved) r
  ), d AS (
    SELECT account_id, sum(dpd) AS dpd, sum(dpc) AS dpc, sum(dnd) AS dnd, sum(dnc) AS dnc,
           string_agg(side || ':' || phase || ':' || amount, ',' ORDER BY n) AS legs_text
    FROM l GROUP BY account_id
  ), u AS (
    UPDATE accounts a SET
      posted_debits = a.posted_debits + d.dpd, posted_credits = a.posted_credits + d.dpc,
      pending_debits = a.pending_debits + d.dnd, pending_credits = a.pending_credits + d.dnc,
      version = a.version + 1,
      head_hash = sha256(a.head_hash || convert_to(v_id::text || '|' || d.legs_text, 'UTF8'))
    FROM d WHERE a.id = d.account_id
    RETURNING a.id, a.posted_debits - d.dpd AS pd0, a.posted_credits - d.dpc AS pc0,
              a.pending_debits - d.dnd AS nd0, a.pending_credits - d.dnc AS nc0, a.version, a.head_hash
  )
  INSERT INTO entries (transfer_id, transfer_seq, account_id, side, phase, amount,
                       posted_debits_after, posted_credits_after, pending_debits_after, pending_credits_after,
                       version_after, hash)
  SELECT v_id, v_seq, l.account_id, l.side, l.phase, l.amount,
         u.pd0 + sum(l.dpd) OVER w, u.pc0 + sum(l.dpc) OVER w, u.nd0 + sum(l.dnd) OVER w, u.nc0 + sum(l.dnc) OVER w,
         u.version, u.head_hash
  FROM l JOIN u ON u.id = l.account_id
  WINDOW w AS (PARTITION BY l.account_id ORDER BY l.n ROWS UNBOUNDED PRECEDING)
  ORDER BY l.n;

  IF v_kind = 'hold' THEN
    INSERT INTO holds (id, debit_account_id, credit_account_id, amount, expires_at, job_id)
    SELECT v_id, d.account_id, c.account_id, d.amount, (item->>'expires_at')::timestamptz, item->>'job_id'
    FROM unnest(v_resolved) d, unnest(v_resolved) c WHERE d.side = 'D' AND c.side = 'C';
  ELSIF v_kind IN ('capture', 'void', 'expire') THEN
    UPDATE holds SET status = CASE v_kind WHEN 'capture' THEN 'captured' WHEN 'void' THEN 'voided' ELSE 'expired' END,
                     captured = CASE WHEN v_kind = 'capture' THEN v_amount ELSE 0 END,
                     resolved_by = v_id, resolved_at = now()
    WHERE id = v_hold_id;
  END IF;

  IF v_key IS NOT NULL THEN
    UPDATE idempotency_keys SET status_code = 201, transfer_id = v_id WHERE scope = v_scope AND key = v_key;
  END IF;

  v_event := CASE v_kind WHEN 'hold' THEN 'HoldPlaced' WHEN 'capture' THEN 'HoldCaptured'
                         WHEN 'void' THEN 'HoldVoided' WHEN 'expire' THEN 'HoldExpired' ELSE 'TransferPosted' END;
  INSERT INTO outbox (event_type, partition_key, payload)
  VALUES (v_event, COALESCE(item->>'job_id', v_id::text), jsonb_build_object(
    'transfer_id', v_id, 'seq', v_seq::text, 'kind', v_kind, 'amount', v_amount::text,
    'hold_id', COALESCE(v_hold_id, CASE WHEN v_kind = 'hold' THEN v_id END),
    'job_id', item->>'job_id', 'prover_id', item->>'prover_id'));

  RETURN jsonb_build_object('outcome', 'posted', 'status', 201, 'transfer', ledger_transfer_view(v_id));
END $fn$;

-- A batch of posting requests in one transaction (one commit for many transfers).
-- Accounts that receive credit are created first; then every hold and account the batch
-- touches is locked in id order, so concurrent batches never deadlock.
CREATE FUNCTION ledger_post(items jsonb) RETURNS jsonb LANGUAGE plpgsql AS $fn$
DECLARE
  results jsonb := '[]'::jsonb;
  item jsonb;
  v_ids bigint[];
BEGIN
  INSERT INTO accounts (kind, owner_id)
  SELECT DISTINCT ref->>'kind', ref->>'owner'
  FROM jsonb_array_elements(items) i,
       LATERAL (SELECT l AS ref FROM jsonb_array_elements(COALESCE(i->'legs', '[]'::jsonb)) l WHERE l->>'side' = 'C'
                UNION ALL SELECT i->'to' WHERE i ? 'to') r
  WHERE ref->>'kind' IN ('user', 'provider')
  ORDER BY 1, 2
  ON CONFLICT (kind, owner_id, currency) DO NOTHING;

  PERFORM 1 FROM holds
  WHERE id IN (SELECT (i->>'hold_id')::uuid FROM jsonb_array_elements(items) i WHERE i ? 'hold_id')
  ORDER BY id FOR UPDATE;

  -- Scalar subqueries keep every account lookup an index probe, however many accounts exist.
  v_ids := ARRAY(
    SELECT (SELECT a.id FROM accounts a
            WHERE a.kind = r.ref->>'kind' AND a.owner_id = r.ref->>'owner' AND a.currency = 'CREDIT')
    FROM jsonb_array_elements(items) i,
         LATERAL (SELECT l AS ref FROM jsonb_array_elements(COALESCE(i->'legs', '[]'::jsonb)) l
                  UNION ALL SELECT i->'to' WHERE i ? 'to') r
    UNION
    SELECT unnest(ARRAY[h.debit_account_id, h.credit_account_id]) FROM holds h
    WHERE h.id IN (SELECT (i->>'hold_id')::uuid FROM jsonb_array_elements(items) i WHERE i ? 'hold_id'));
  PERFORM 1 FROM accounts WHERE id = ANY (v_ids) ORDER BY id FOR UPDATE;

  FOR item IN SELECT * FROM jsonb_array_elements(items) LOOP
    results := results || jsonb_build_array(ledger_post_one(item));
  END LOOP;
  RETURN results;
END $fn$;
`;
