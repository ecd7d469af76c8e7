CREATE FUNCTION public.control_log_reject_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
      BEGIN
        -- OLD and NEW are read only for a row UPDATE (a DELETE has no NEW, a TRUNCATE no row).
        IF TG_OP = 'UPDATE' THEN
          IF OLD.hash IS NULL AND NEW.hash IS NOT NULL
             AND (NEW.seq, NEW.at, NEW.actor_key_id, NEW.actor_role, NEW.actor_subject, NEW.action, NEW.fields,
                  NEW.outcome, NEW.error_code)
                 IS NOT DISTINCT FROM
                 (OLD.seq, OLD.at, OLD.actor_key_id, OLD.actor_role, OLD.actor_subject, OLD.action, OLD.fields,
                  OLD.outcome, OLD.error_code) THEN
            RETURN NEW; -- chaining a row: its hashes set once
          END IF;
        END IF;
        RAISE EXCEPTION 'the control log is append-only: % is not allowed', TG_OP
          USING ERRCODE = 'restrict_violation';
      END $$;

CREATE FUNCTION public.ledger_batch_current(ok boolean) RETURNS boolean
    LANGUAGE plpgsql
    AS $$
      BEGIN
        IF NOT ok THEN
          RAISE EXCEPTION 'the batch was computed from account states that have moved' USING ERRCODE = 'TL001';
        END IF;
        RETURN true;
      END $$;

CREATE FUNCTION public.ledger_reject_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
      BEGIN
        RAISE EXCEPTION 'the ledger journal is append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME
          USING ERRCODE = 'restrict_violation';
      END $$;

CREATE FUNCTION public.ledger_transfer_balances() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
        DECLARE
          off record;
        BEGIN
          SELECT (SELECT a.currency FROM accounts a WHERE a.id = e.account_id) AS currency, e.phase,
                 sum(CASE e.side WHEN 'D' THEN e.amount ELSE -e.amount END) AS diff
            INTO off
            FROM entries e WHERE e.transfer_id = NEW.transfer_id
           GROUP BY 1, 2 HAVING sum(CASE e.side WHEN 'D' THEN e.amount ELSE -e.amount END) <> 0
           LIMIT 1;
          IF FOUND THEN
            RAISE EXCEPTION 'transfer % does not balance: its % % debits minus its credits are %',
              NEW.transfer_id, off.currency, off.phase, off.diff
              USING ERRCODE = 'check_violation', CONSTRAINT = 'entries_transfer_balances';
          END IF;
          RETURN NULL;
        END $$;

CREATE FUNCTION public.ledger_transfer_view(p_transfer uuid) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    AS $$
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
END $$;

CREATE FUNCTION public.receipt_keys_no_delete() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
      BEGIN
        RAISE EXCEPTION 'published receipt keys are kept forever' USING ERRCODE = 'restrict_violation';
      END $$;

CREATE FUNCTION public.tally_expect(ok boolean, what text) RETURNS boolean
    LANGUAGE plpgsql
    AS $$
      BEGIN
        IF ok IS NOT TRUE THEN
          RAISE EXCEPTION 'the batch is stale: %', what USING ERRCODE = 'TL002';
        END IF;
        RETURN true;
      END $$;

CREATE TABLE public.accounts (
    id bigint NOT NULL,
    kind character varying(16) NOT NULL,
    owner_id character varying(128) NOT NULL,
    currency character varying(16) DEFAULT 'CREDIT'::character varying NOT NULL,
    allow_negative boolean DEFAULT false NOT NULL,
    posted_debits bigint DEFAULT 0 NOT NULL,
    posted_credits bigint DEFAULT 0 NOT NULL,
    pending_debits bigint DEFAULT 0 NOT NULL,
    pending_credits bigint DEFAULT 0 NOT NULL,
    version bigint DEFAULT 0 NOT NULL,
    head_hash bytea DEFAULT '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea NOT NULL,
    metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    has_alerts boolean DEFAULT false NOT NULL,
    CONSTRAINT accounts_available_non_negative CHECK ((allow_negative OR (((posted_credits - posted_debits) - pending_debits) >= 0))),
    CONSTRAINT accounts_counters_non_negative CHECK (((posted_debits >= 0) AND (posted_credits >= 0) AND (pending_debits >= 0) AND (pending_credits >= 0))),
    CONSTRAINT accounts_kind_check CHECK (((kind)::text = ANY ((ARRAY['user'::character varying, 'provider'::character varying, 'platform'::character varying, 'escrow'::character varying, 'issuance'::character varying, 'stake'::character varying, 'payout'::character varying])::text[])))
);

ALTER TABLE public.accounts ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.accounts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.api_keys (
    id uuid NOT NULL,
    key_hash character(64) NOT NULL,
    prefix character varying(16) NOT NULL,
    role character varying(16) NOT NULL,
    subject character varying(128) NOT NULL,
    require_signature boolean DEFAULT false NOT NULL,
    label character varying(256),
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    revoked_at timestamp with time zone,
    CONSTRAINT api_keys_role_check CHECK (((role)::text = ANY ((ARRAY['admin'::character varying, 'client'::character varying, 'prover'::character varying])::text[])))
);

CREATE TABLE public.balance_alerts (
    id uuid NOT NULL,
    account_id bigint NOT NULL,
    direction character varying(5) NOT NULL,
    threshold bigint NOT NULL,
    armed boolean NOT NULL,
    fired_count integer DEFAULT 0 NOT NULL,
    last_fired_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT balance_alerts_direction_check CHECK (((direction)::text = ANY ((ARRAY['below'::character varying, 'above'::character varying])::text[]))),
    CONSTRAINT balance_alerts_threshold_check CHECK ((threshold >= 0))
);

CREATE TABLE public.control_log (
    seq bigint NOT NULL,
    at timestamp with time zone NOT NULL,
    actor_key_id character varying(255),
    actor_role character varying(16) NOT NULL,
    actor_subject character varying(255) NOT NULL,
    action character varying(64) NOT NULL,
    fields text NOT NULL,
    outcome character varying(8) NOT NULL,
    error_code character varying(16),
    prev_hash character(64),
    hash character(64),
    CONSTRAINT control_log_chained_check CHECK (((prev_hash IS NULL) = (hash IS NULL))),
    CONSTRAINT control_log_check CHECK ((((outcome)::text = 'rejected'::text) = (error_code IS NOT NULL))),
    CONSTRAINT control_log_outcome_check CHECK (((outcome)::text = ANY ((ARRAY['ok'::character varying, 'rejected'::character varying])::text[]))),
    CONSTRAINT control_log_seq_check CHECK ((seq > 0))
);

CREATE SEQUENCE public.control_log_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.control_log_seq OWNED BY public.control_log.seq;

CREATE TABLE public.entries (
    id bigint NOT NULL,
    transfer_id uuid NOT NULL,
    transfer_seq bigint NOT NULL,
    leg smallint NOT NULL,
    account_id bigint NOT NULL,
    side character(1) NOT NULL,
    phase character varying(8) NOT NULL,
    amount bigint NOT NULL,
    posted_debits_after bigint NOT NULL,
    posted_credits_after bigint NOT NULL,
    pending_debits_after bigint NOT NULL,
    pending_credits_after bigint NOT NULL,
    version_after bigint NOT NULL,
    hash bytea NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT entries_amount_check CHECK ((amount > 0)),
    CONSTRAINT entries_phase_check CHECK (((phase)::text = ANY ((ARRAY['posted'::character varying, 'pending'::character varying, 'release'::character varying])::text[]))),
    CONSTRAINT entries_side_check CHECK ((side = ANY (ARRAY['D'::bpchar, 'C'::bpchar])))
);

ALTER TABLE public.entries ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.entries_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.holds (
    id uuid NOT NULL,
    debit_account_id bigint NOT NULL,
    credit_account_id bigint NOT NULL,
    amount bigint NOT NULL,
    captured bigint DEFAULT 0 NOT NULL,
    status character varying(16) DEFAULT 'pending'::character varying NOT NULL,
    expires_at timestamp with time zone,
    job_id character varying(128),
    resolved_by uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    resolved_at timestamp with time zone,
    CONSTRAINT holds_amount_check CHECK ((amount > 0)),
    CONSTRAINT holds_check CHECK (((captured >= 0) AND (captured <= amount))),
    CONSTRAINT holds_status_check CHECK (((status)::text = ANY ((ARRAY['pending'::character varying, 'captured'::character varying, 'voided'::character varying, 'expired'::character varying])::text[])))
);

CREATE TABLE public.idempotency_keys (
    scope character varying(160) NOT NULL,
    key character varying(255) NOT NULL,
    request_hash character(64) NOT NULL,
    transfer_id uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    outcome character varying(16) NOT NULL,
    rejection jsonb,
    CONSTRAINT idempotency_keys_outcome_check CHECK (((outcome)::text = ANY ((ARRAY['claimed'::character varying, 'posted'::character varying, 'rejected'::character varying, 'created'::character varying, 'existing'::character varying])::text[]))),
    CONSTRAINT idempotency_keys_rejection_check CHECK ((((outcome)::text = 'rejected'::text) = ((rejection IS NOT NULL) AND ((rejection ->> 'reason'::text) IS NOT NULL))))
);

CREATE TABLE public.job_assignments (
    network_job_id bigint NOT NULL,
    prover_id character varying(128) NOT NULL,
    replica smallint NOT NULL,
    status character varying(16) DEFAULT 'ASSIGNED'::character varying NOT NULL,
    success boolean,
    final_cost_micros bigint,
    result_hash character varying(128),
    error_message character varying(2048),
    report_hash character(64),
    reward_micros bigint,
    assigned_at timestamp with time zone DEFAULT now() NOT NULL,
    reported_at timestamp with time zone,
    started_at timestamp with time zone,
    result_metadata jsonb,
    CONSTRAINT job_assignments_result_metadata_check CHECK (((result_metadata IS NULL) OR (jsonb_typeof(result_metadata) = 'object'::text))),
    CONSTRAINT job_assignments_status_check CHECK (((status)::text = ANY ((ARRAY['ASSIGNED'::character varying, 'RUNNING'::character varying, 'REPORTED'::character varying, 'CANCELLED'::character varying])::text[])))
);

CREATE TABLE public.job_audit_log (
    id bigint NOT NULL,
    event_id uuid NOT NULL,
    network_job_id bigint NOT NULL,
    event jsonb NOT NULL,
    recorded_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE public.job_audit_log ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.job_audit_log_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.jobs (
    network_job_id bigint NOT NULL,
    client_id character varying(128) NOT NULL,
    client_job_id character varying(128),
    request_hash character(64) NOT NULL,
    payload jsonb NOT NULL,
    max_cost_micros bigint NOT NULL,
    priority character varying(8) NOT NULL,
    service character varying(64),
    units character varying(40),
    requirements jsonb DEFAULT '{}'::jsonb NOT NULL,
    replicas smallint DEFAULT 1 NOT NULL,
    status character varying(16) NOT NULL,
    hold_id uuid NOT NULL,
    held_micros bigint NOT NULL,
    final_cost_micros bigint,
    refunded_micros bigint,
    platform_fee_micros bigint,
    error_message character varying(2048),
    version integer DEFAULT 1 NOT NULL,
    submitted_at timestamp with time zone DEFAULT now() NOT NULL,
    assigned_at timestamp with time zone,
    started_at timestamp with time zone,
    completed_at timestamp with time zone,
    failed_at timestamp with time zone,
    cancelled_at timestamp with time zone,
    audited_at timestamp with time zone,
    attempts integer DEFAULT 0 NOT NULL,
    payload_encoding character varying(8) DEFAULT 'json'::character varying NOT NULL,
    service_version bigint,
    metered_units numeric(24,6),
    metered_micros bigint DEFAULT 0 NOT NULL,
    metered_fee_micros bigint DEFAULT 0 NOT NULL,
    metered_refund character varying(8),
    metered_prover_id character varying(128),
    reward_hold_id uuid,
    dispute_closes_at timestamp with time zone,
    pending_rewards jsonb,
    disputed_at timestamp with time zone,
    dispute_reason text,
    resolved_at timestamp with time zone,
    dispute_outcome character varying(8),
    dispute_refund_micros bigint,
    CONSTRAINT jobs_check CHECK (((metered_fee_micros >= 0) AND (metered_fee_micros <= metered_micros))),
    CONSTRAINT jobs_dispute_outcome_check CHECK (((dispute_outcome)::text = ANY ((ARRAY['uphold'::character varying, 'refund'::character varying])::text[]))),
    CONSTRAINT jobs_dispute_refund_micros_check CHECK ((dispute_refund_micros >= 0)),
    CONSTRAINT jobs_max_cost_micros_check CHECK ((max_cost_micros > 0)),
    CONSTRAINT jobs_metered_micros_check CHECK ((metered_micros >= 0)),
    CONSTRAINT jobs_metered_refund_check CHECK (((metered_refund)::text = ANY ((ARRAY['earned'::character varying, 'all'::character varying])::text[]))),
    CONSTRAINT jobs_metered_units_check CHECK (((metered_units IS NULL) OR (metered_units > (0)::numeric))),
    CONSTRAINT jobs_payload_encoding_check CHECK (((payload_encoding)::text = ANY ((ARRAY['json'::character varying, 'base64'::character varying])::text[]))),
    CONSTRAINT jobs_pending_rewards_check CHECK (((pending_rewards IS NULL) OR (jsonb_typeof(pending_rewards) = 'array'::text))),
    CONSTRAINT jobs_priority_check CHECK (((priority)::text = ANY ((ARRAY['LOW'::character varying, 'NORMAL'::character varying, 'HIGH'::character varying])::text[]))),
    CONSTRAINT jobs_replicas_check CHECK (((replicas >= 1) AND (replicas <= 7))),
    CONSTRAINT jobs_service_version_check CHECK ((service_version >= 1)),
    CONSTRAINT jobs_status_check CHECK (((status)::text = ANY ((ARRAY['PENDING'::character varying, 'ASSIGNED'::character varying, 'RUNNING'::character varying, 'COMPLETED'::character varying, 'DISPUTED'::character varying, 'AUDITED'::character varying, 'FAILED'::character varying, 'CANCELLED'::character varying])::text[])))
);

ALTER TABLE public.jobs ALTER COLUMN network_job_id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.jobs_network_job_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.ledger_import_watermark (
    id smallint NOT NULL,
    last_created_at timestamp with time zone,
    CONSTRAINT ledger_import_watermark_id_check CHECK ((id = 1))
);

CREATE TABLE public.ledger_verify_runs (
    run_id uuid NOT NULL,
    status character varying(16) NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    finished_at timestamp with time zone,
    heartbeat_at timestamp with time zone DEFAULT now() NOT NULL,
    progress_done integer DEFAULT 0 NOT NULL,
    progress_total integer DEFAULT 0 NOT NULL,
    problems jsonb DEFAULT '[]'::jsonb NOT NULL,
    problem_count integer DEFAULT 0 NOT NULL,
    error text,
    started_by character varying(255) NOT NULL,
    CONSTRAINT ledger_verify_runs_status_check CHECK (((status)::text = ANY ((ARRAY['running'::character varying, 'passed'::character varying, 'failed'::character varying, 'error'::character varying])::text[])))
);

CREATE TABLE public.legacy_job_ids (
    job_id character varying(20) NOT NULL,
    legacy_id uuid NOT NULL
);

CREATE TABLE public.outbox (
    id bigint NOT NULL,
    event_id uuid DEFAULT gen_random_uuid() NOT NULL,
    event_type character varying(64) NOT NULL,
    partition_key character varying(160),
    payload jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    published_at timestamp with time zone,
    redeliveries integer DEFAULT 0 NOT NULL,
    next_attempt_at timestamp with time zone,
    broker_published_at timestamp with time zone,
    broker_attempts integer DEFAULT 0 NOT NULL,
    broker_error text
);

CREATE TABLE public.outbox_cursors (
    name character varying(64) NOT NULL,
    "position" bigint NOT NULL,
    CONSTRAINT outbox_cursors_position_check CHECK (("position" >= 0))
);

ALTER TABLE public.outbox ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.outbox_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.payouts (
    id uuid NOT NULL,
    prover_id character varying(128) NOT NULL,
    amount_micros bigint NOT NULL,
    status character varying(16) DEFAULT 'pending'::character varying NOT NULL,
    hold_id uuid NOT NULL,
    external_ref character varying(255),
    reason character varying(512),
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    resolved_at timestamp with time zone,
    CONSTRAINT payouts_amount_micros_check CHECK ((amount_micros > 0)),
    CONSTRAINT payouts_resolution_check CHECK (((((status)::text = 'pending'::text) AND (resolved_at IS NULL) AND (external_ref IS NULL) AND (reason IS NULL)) OR (((status)::text = 'confirmed'::text) AND (resolved_at IS NOT NULL) AND (external_ref IS NOT NULL) AND (reason IS NULL)) OR (((status)::text = 'failed'::text) AND (resolved_at IS NOT NULL) AND (reason IS NOT NULL) AND (external_ref IS NULL)))),
    CONSTRAINT payouts_status_check CHECK (((status)::text = ANY ((ARRAY['pending'::character varying, 'confirmed'::character varying, 'failed'::character varying])::text[])))
);

CREATE TABLE public.processed_events (
    handler character varying(128) NOT NULL,
    event_id uuid NOT NULL,
    processed_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE public.prover_cancellation_acks (
    prover_id character varying(128) NOT NULL,
    network_job_id bigint NOT NULL,
    acked_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE public.prover_score_history (
    prover_id character varying(128) NOT NULL,
    version bigint NOT NULL,
    event_id uuid NOT NULL,
    delta_success integer NOT NULL,
    delta_failure integer NOT NULL,
    score_value numeric(12,6) NOT NULL,
    scored_at timestamp with time zone NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE public.provers (
    prover_id character varying(128) NOT NULL,
    hardware_profile jsonb DEFAULT '{}'::jsonb NOT NULL,
    capabilities jsonb DEFAULT '{}'::jsonb NOT NULL,
    region character varying(64),
    max_concurrency integer DEFAULT 1 NOT NULL,
    load_factor numeric(7,6) DEFAULT 0 NOT NULL,
    state character varying(16) DEFAULT 'active'::character varying NOT NULL,
    score_value numeric(12,6) DEFAULT 50 NOT NULL,
    successful_jobs bigint DEFAULT 0 NOT NULL,
    failed_jobs bigint DEFAULT 0 NOT NULL,
    version bigint DEFAULT 0 NOT NULL,
    last_heartbeat timestamp with time zone,
    last_scored_at timestamp with time zone,
    registered_at timestamp with time zone DEFAULT now() NOT NULL,
    cancellations_seen_at timestamp with time zone,
    drain_requested boolean DEFAULT false NOT NULL,
    latency_ms integer,
    CONSTRAINT provers_latency_ms_check CHECK (((latency_ms >= 0) AND (latency_ms <= 600000))),
    CONSTRAINT provers_load_factor_check CHECK (((load_factor >= (0)::numeric) AND (load_factor <= (1)::numeric))),
    CONSTRAINT provers_max_concurrency_check CHECK (((max_concurrency >= 1) AND (max_concurrency <= 1024))),
    CONSTRAINT provers_score_value_check CHECK (((score_value >= (0)::numeric) AND (score_value <= (100)::numeric))),
    CONSTRAINT provers_state_check CHECK (((state)::text = ANY ((ARRAY['active'::character varying, 'draining'::character varying, 'offline'::character varying])::text[])))
);

CREATE TABLE public.receipt_keys (
    key_id character(64) NOT NULL,
    public_key character(64) NOT NULL,
    purpose character varying(16) NOT NULL,
    status character varying(16) NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    retired_at timestamp with time zone,
    CONSTRAINT receipt_keys_check CHECK ((((status)::text = 'retired'::text) = (retired_at IS NOT NULL))),
    CONSTRAINT receipt_keys_purpose_check CHECK (((purpose)::text = ANY ((ARRAY['signing'::character varying, 'attestation'::character varying])::text[]))),
    CONSTRAINT receipt_keys_status_check CHECK (((status)::text = ANY ((ARRAY['active'::character varying, 'retired'::character varying])::text[])))
);

CREATE TABLE public.receipt_signatures (
    receipt_id uuid NOT NULL,
    signer_id character varying(64) NOT NULL,
    key_id character(64) NOT NULL,
    signature character(128) NOT NULL,
    signed_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE public.receipts (
    receipt_id uuid NOT NULL,
    network_job_id bigint NOT NULL,
    seq integer NOT NULL,
    kind character varying(16) NOT NULL,
    round integer NOT NULL,
    receipt_hash character(64) NOT NULL,
    prev_receipt_hash character(64),
    key_id character(64) NOT NULL,
    document jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT receipts_check CHECK (((seq = 1) = (prev_receipt_hash IS NULL))),
    CONSTRAINT receipts_kind_check CHECK (((kind)::text = ANY ((ARRAY['assignment'::character varying, 'execution'::character varying, 'verification'::character varying, 'settlement'::character varying])::text[]))),
    CONSTRAINT receipts_round_check CHECK ((round >= 0)),
    CONSTRAINT receipts_seq_check CHECK ((seq >= 1))
);

CREATE TABLE public.request_signatures (
    signature character(64) NOT NULL,
    api_key_id uuid NOT NULL,
    seen_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE public.revoked_replicas (
    prover_id character varying(128) NOT NULL,
    network_job_id bigint NOT NULL,
    revoked_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE public.scheduler_config (
    id smallint DEFAULT 1 NOT NULL,
    config jsonb NOT NULL,
    version integer DEFAULT 1 NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT scheduler_config_id_check CHECK ((id = 1))
);

CREATE TABLE public.scorecard_retries (
    event_id uuid NOT NULL,
    prover_id character varying(128) NOT NULL,
    payload jsonb NOT NULL,
    attempts integer DEFAULT 1 NOT NULL,
    last_error character varying(1024),
    next_attempt_at timestamp with time zone NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE public.service_schedule_versions (
    id character varying(64) NOT NULL,
    version bigint NOT NULL,
    price_per_unit_micros bigint NOT NULL,
    unit character varying(32) NOT NULL,
    size_factor numeric(24,6) NOT NULL,
    minimum_charge_micros bigint NOT NULL,
    hardware_requirements jsonb NOT NULL,
    description character varying(512),
    category character varying(32) NOT NULL,
    input_schema jsonb NOT NULL,
    result_schema jsonb NOT NULL,
    example jsonb,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    units_rule jsonb,
    fee_bps integer,
    base_share_bps integer DEFAULT 0 NOT NULL,
    min_stake_micros bigint,
    slash_dissent_bps integer DEFAULT 0 NOT NULL,
    slash_timeout_bps integer DEFAULT 0 NOT NULL,
    slash_cap_micros bigint,
    metered_refund character varying(8) DEFAULT 'earned'::character varying NOT NULL,
    slash_dispute_bps integer DEFAULT 0 NOT NULL,
    dispute_window_seconds integer,
    CONSTRAINT service_schedule_versions_base_share_bps_check CHECK (((base_share_bps >= 0) AND (base_share_bps <= 10000))),
    CONSTRAINT service_schedule_versions_category_check CHECK (((category)::text = ANY ((ARRAY['ai-ml'::character varying, 'media-processing'::character varying, 'scientific-computing'::character varying, 'data-analytics'::character varying, 'gaming'::character varying, 'development-tools'::character varying])::text[]))),
    CONSTRAINT service_schedule_versions_dispute_window_seconds_check CHECK (((dispute_window_seconds IS NULL) OR ((dispute_window_seconds >= 0) AND (dispute_window_seconds <= 7776000)))),
    CONSTRAINT service_schedule_versions_fee_bps_check CHECK (((fee_bps >= 0) AND (fee_bps <= 10000))),
    CONSTRAINT service_schedule_versions_metered_refund_check CHECK (((metered_refund)::text = ANY ((ARRAY['earned'::character varying, 'all'::character varying])::text[]))),
    CONSTRAINT service_schedule_versions_min_stake_micros_check CHECK (((min_stake_micros IS NULL) OR (min_stake_micros >= 0))),
    CONSTRAINT service_schedule_versions_minimum_charge_micros_check CHECK ((minimum_charge_micros >= 0)),
    CONSTRAINT service_schedule_versions_price_per_unit_micros_check CHECK ((price_per_unit_micros > 0)),
    CONSTRAINT service_schedule_versions_size_factor_check CHECK ((size_factor > (0)::numeric)),
    CONSTRAINT service_schedule_versions_slash_cap_micros_check CHECK (((slash_cap_micros IS NULL) OR (slash_cap_micros >= 0))),
    CONSTRAINT service_schedule_versions_slash_dispute_bps_check CHECK (((slash_dispute_bps >= 0) AND (slash_dispute_bps <= 10000))),
    CONSTRAINT service_schedule_versions_slash_dissent_bps_check CHECK (((slash_dissent_bps >= 0) AND (slash_dissent_bps <= 10000))),
    CONSTRAINT service_schedule_versions_slash_timeout_bps_check CHECK (((slash_timeout_bps >= 0) AND (slash_timeout_bps <= 10000))),
    CONSTRAINT service_schedule_versions_units_rule_check CHECK (((units_rule IS NULL) OR (jsonb_typeof(units_rule) = 'object'::text))),
    CONSTRAINT service_schedule_versions_version_check CHECK ((version >= 1))
);

CREATE TABLE public.service_schedules (
    id character varying(64) NOT NULL,
    price_per_unit_micros bigint NOT NULL,
    unit character varying(32) NOT NULL,
    size_factor numeric(24,6) NOT NULL,
    minimum_charge_micros bigint NOT NULL,
    hardware_requirements jsonb DEFAULT '{}'::jsonb NOT NULL,
    description character varying(512),
    version bigint DEFAULT 1 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    category character varying(32) DEFAULT 'development-tools'::character varying NOT NULL,
    input_schema jsonb DEFAULT '{"type": "object"}'::jsonb NOT NULL,
    result_schema jsonb DEFAULT '{"type": "object"}'::jsonb NOT NULL,
    example jsonb,
    units_rule jsonb,
    fee_bps integer,
    base_share_bps integer DEFAULT 0 NOT NULL,
    min_stake_micros bigint,
    slash_dissent_bps integer DEFAULT 0 NOT NULL,
    slash_timeout_bps integer DEFAULT 0 NOT NULL,
    slash_cap_micros bigint,
    metered_refund character varying(8) DEFAULT 'earned'::character varying NOT NULL,
    slash_dispute_bps integer DEFAULT 0 NOT NULL,
    dispute_window_seconds integer,
    CONSTRAINT service_schedules_base_share_bps_check CHECK (((base_share_bps >= 0) AND (base_share_bps <= 10000))),
    CONSTRAINT service_schedules_category_check CHECK (((category)::text = ANY ((ARRAY['ai-ml'::character varying, 'media-processing'::character varying, 'scientific-computing'::character varying, 'data-analytics'::character varying, 'gaming'::character varying, 'development-tools'::character varying])::text[]))),
    CONSTRAINT service_schedules_dispute_window_seconds_check CHECK (((dispute_window_seconds IS NULL) OR ((dispute_window_seconds >= 0) AND (dispute_window_seconds <= 7776000)))),
    CONSTRAINT service_schedules_fee_bps_check CHECK (((fee_bps >= 0) AND (fee_bps <= 10000))),
    CONSTRAINT service_schedules_hardware_requirements_check CHECK ((jsonb_typeof(hardware_requirements) = 'object'::text)),
    CONSTRAINT service_schedules_id_check CHECK (((id)::text ~ '^[a-z0-9._-]{1,64}$'::text)),
    CONSTRAINT service_schedules_input_schema_check CHECK ((jsonb_typeof(input_schema) = 'object'::text)),
    CONSTRAINT service_schedules_metered_refund_check CHECK (((metered_refund)::text = ANY ((ARRAY['earned'::character varying, 'all'::character varying])::text[]))),
    CONSTRAINT service_schedules_min_stake_micros_check CHECK (((min_stake_micros IS NULL) OR (min_stake_micros >= 0))),
    CONSTRAINT service_schedules_minimum_charge_micros_check CHECK ((minimum_charge_micros >= 0)),
    CONSTRAINT service_schedules_price_per_unit_micros_check CHECK ((price_per_unit_micros > 0)),
    CONSTRAINT service_schedules_result_schema_check CHECK ((jsonb_typeof(result_schema) = 'object'::text)),
    CONSTRAINT service_schedules_size_factor_check CHECK ((size_factor > (0)::numeric)),
    CONSTRAINT service_schedules_slash_cap_micros_check CHECK (((slash_cap_micros IS NULL) OR (slash_cap_micros >= 0))),
    CONSTRAINT service_schedules_slash_dispute_bps_check CHECK (((slash_dispute_bps >= 0) AND (slash_dispute_bps <= 10000))),
    CONSTRAINT service_schedules_slash_dissent_bps_check CHECK (((slash_dissent_bps >= 0) AND (slash_dissent_bps <= 10000))),
    CONSTRAINT service_schedules_slash_timeout_bps_check CHECK (((slash_timeout_bps >= 0) AND (slash_timeout_bps <= 10000))),
    CONSTRAINT service_schedules_unit_check CHECK (((unit)::text ~ '^[a-z0-9_]{1,32}$'::text)),
    CONSTRAINT service_schedules_units_rule_check CHECK (((units_rule IS NULL) OR (jsonb_typeof(units_rule) = 'object'::text))),
    CONSTRAINT service_schedules_version_check CHECK ((version >= 1))
);

CREATE TABLE public.settlement_balances (
    account_id bigint NOT NULL,
    batch_no bigint NOT NULL,
    balance bigint NOT NULL,
    leaf_hash bytea NOT NULL,
    CONSTRAINT settlement_balances_balance_check CHECK ((balance >= 0))
);

CREATE TABLE public.settlement_batch_transfers (
    transfer_id uuid NOT NULL,
    batch_no bigint NOT NULL,
    "position" integer NOT NULL,
    leaf_hash bytea NOT NULL
);

CREATE TABLE public.settlement_batches (
    batch_no bigint NOT NULL,
    prev_batch_hash character(64) NOT NULL,
    horizon xid8 NOT NULL,
    first_seq bigint NOT NULL,
    last_seq bigint NOT NULL,
    transfer_count integer NOT NULL,
    transfers_root character(64) NOT NULL,
    balances_root character(64) NOT NULL,
    account_count integer NOT NULL,
    total_supply bigint NOT NULL,
    created_at timestamp with time zone NOT NULL,
    key_id character(64) NOT NULL,
    signature character(128) NOT NULL,
    batch_hash character(64) NOT NULL,
    version smallint NOT NULL,
    CONSTRAINT settlement_batches_batch_no_check CHECK ((batch_no > 0)),
    CONSTRAINT settlement_batches_total_supply_check CHECK ((total_supply >= 0)),
    CONSTRAINT settlement_batches_transfer_count_check CHECK ((transfer_count > 0)),
    CONSTRAINT settlement_batches_version_check CHECK ((version >= 1))
);

CREATE TABLE public.settlement_deliveries (
    sink character varying(32) NOT NULL,
    batch_no bigint NOT NULL,
    status character varying(16) DEFAULT 'pending'::character varying NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    last_error text,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    delivered_at timestamp with time zone,
    lease_token uuid,
    lease_until timestamp with time zone,
    ack_batch_hash character varying(64),
    ack_transfers_root character varying(64),
    ack_balances_root character varying(64),
    CONSTRAINT settlement_deliveries_status_check CHECK (((status)::text = ANY ((ARRAY['pending'::character varying, 'delivered'::character varying, 'failed'::character varying])::text[])))
);

CREATE TABLE public.settlement_failover (
    id smallint DEFAULT 1 NOT NULL,
    state character varying(16) DEFAULT 'healthy'::character varying NOT NULL,
    reason text,
    since timestamp with time zone DEFAULT now() NOT NULL,
    last_fallback_at timestamp with time zone,
    CONSTRAINT settlement_failover_id_check CHECK ((id = 1)),
    CONSTRAINT settlement_failover_state_check CHECK (((state)::text = ANY ((ARRAY['healthy'::character varying, 'warning'::character varying, 'degraded'::character varying, 'emergency'::character varying, 'recovering'::character varying])::text[])))
);

CREATE TABLE public.settlement_sink_health (
    sink character varying(32) NOT NULL,
    consecutive_failures integer DEFAULT 0 NOT NULL,
    consecutive_successes integer DEFAULT 0 NOT NULL,
    last_success_at timestamp with time zone,
    last_failure_at timestamp with time zone,
    last_error text,
    CONSTRAINT settlement_sink_health_consecutive_failures_check CHECK ((consecutive_failures >= 0)),
    CONSTRAINT settlement_sink_health_consecutive_successes_check CHECK ((consecutive_successes >= 0))
);

CREATE SEQUENCE public.transfers_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

CREATE TABLE public.transfers (
    id uuid NOT NULL,
    seq bigint DEFAULT nextval('public.transfers_seq'::regclass) NOT NULL,
    kind character varying(16) NOT NULL,
    amount bigint NOT NULL,
    hold_id uuid,
    job_id character varying(128),
    prover_id character varying(128),
    memo character varying(512),
    metadata jsonb,
    idempotency_key character varying(255),
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    xact_id xid8 DEFAULT pg_current_xact_id() NOT NULL,
    CONSTRAINT transfers_amount_check CHECK ((amount >= 0)),
    CONSTRAINT transfers_kind_check CHECK (((kind)::text = ANY ((ARRAY['mint'::character varying, 'spend'::character varying, 'reward'::character varying, 'refund'::character varying, 'transfer'::character varying, 'hold'::character varying, 'capture'::character varying, 'void'::character varying, 'expire'::character varying, 'stake'::character varying, 'slash'::character varying])::text[])))
);

CREATE TABLE public.typeorm_migrations (
    id integer NOT NULL,
    "timestamp" bigint NOT NULL,
    name character varying NOT NULL
);

CREATE SEQUENCE public.typeorm_migrations_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.typeorm_migrations_id_seq OWNED BY public.typeorm_migrations.id;

CREATE TABLE public.webhook_deliveries (
    id bigint NOT NULL,
    subscription_id uuid NOT NULL,
    event_id uuid NOT NULL,
    event_type character varying(64) NOT NULL,
    sequence bigint NOT NULL,
    occurred_at timestamp with time zone NOT NULL,
    payload jsonb NOT NULL,
    status character varying(16) DEFAULT 'pending'::character varying NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    leased_until timestamp with time zone,
    last_status_code integer,
    last_error character varying(500),
    delivered_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT webhook_deliveries_status_check CHECK (((status)::text = ANY ((ARRAY['pending'::character varying, 'delivered'::character varying, 'failing'::character varying])::text[])))
);

ALTER TABLE public.webhook_deliveries ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.webhook_deliveries_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.webhook_subscriptions (
    id uuid NOT NULL,
    owner_role character varying(16) NOT NULL,
    owner_subject character varying(128) NOT NULL,
    url character varying(2048) NOT NULL,
    event_types character varying(64)[] NOT NULL,
    secret character varying(128) NOT NULL,
    status character varying(16) DEFAULT 'active'::character varying NOT NULL,
    failing_since timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT webhook_subscriptions_owner_role_check CHECK (((owner_role)::text = ANY ((ARRAY['admin'::character varying, 'client'::character varying])::text[]))),
    CONSTRAINT webhook_subscriptions_status_check CHECK (((status)::text = ANY ((ARRAY['active'::character varying, 'failing'::character varying])::text[])))
);

ALTER TABLE ONLY public.control_log ALTER COLUMN seq SET DEFAULT nextval('public.control_log_seq'::regclass);

ALTER TABLE ONLY public.typeorm_migrations ALTER COLUMN id SET DEFAULT nextval('public.typeorm_migrations_id_seq'::regclass);

ALTER TABLE ONLY public.typeorm_migrations
    ADD CONSTRAINT "PK_bb2f075707dd300ba86d0208923" PRIMARY KEY (id);

ALTER TABLE ONLY public.accounts
    ADD CONSTRAINT accounts_identity_unique UNIQUE (kind, owner_id, currency);

ALTER TABLE ONLY public.accounts
    ADD CONSTRAINT accounts_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash);

ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT api_keys_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.balance_alerts
    ADD CONSTRAINT balance_alerts_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.control_log
    ADD CONSTRAINT control_log_hash_key UNIQUE (hash);

ALTER TABLE ONLY public.control_log
    ADD CONSTRAINT control_log_pkey PRIMARY KEY (seq);

ALTER TABLE ONLY public.entries
    ADD CONSTRAINT entries_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.holds
    ADD CONSTRAINT holds_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.idempotency_keys
    ADD CONSTRAINT idempotency_keys_pkey PRIMARY KEY (scope, key);

ALTER TABLE ONLY public.job_assignments
    ADD CONSTRAINT job_assignments_pkey PRIMARY KEY (network_job_id, prover_id);

ALTER TABLE ONLY public.job_audit_log
    ADD CONSTRAINT job_audit_log_event_id_key UNIQUE (event_id);

ALTER TABLE ONLY public.job_audit_log
    ADD CONSTRAINT job_audit_log_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.jobs
    ADD CONSTRAINT jobs_client_job_unique UNIQUE (client_id, client_job_id);

ALTER TABLE ONLY public.jobs
    ADD CONSTRAINT jobs_pkey PRIMARY KEY (network_job_id);

ALTER TABLE ONLY public.ledger_import_watermark
    ADD CONSTRAINT ledger_import_watermark_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.ledger_verify_runs
    ADD CONSTRAINT ledger_verify_runs_pkey PRIMARY KEY (run_id);

ALTER TABLE ONLY public.legacy_job_ids
    ADD CONSTRAINT legacy_job_ids_legacy_id_key UNIQUE (legacy_id);

ALTER TABLE ONLY public.legacy_job_ids
    ADD CONSTRAINT legacy_job_ids_pkey PRIMARY KEY (job_id);

ALTER TABLE ONLY public.outbox_cursors
    ADD CONSTRAINT outbox_cursors_pkey PRIMARY KEY (name);

ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT outbox_event_id_key UNIQUE (event_id);

ALTER TABLE ONLY public.outbox
    ADD CONSTRAINT outbox_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.payouts
    ADD CONSTRAINT payouts_hold_id_key UNIQUE (hold_id);

ALTER TABLE ONLY public.payouts
    ADD CONSTRAINT payouts_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.processed_events
    ADD CONSTRAINT processed_events_pkey PRIMARY KEY (handler, event_id);

ALTER TABLE ONLY public.prover_cancellation_acks
    ADD CONSTRAINT prover_cancellation_acks_pkey PRIMARY KEY (prover_id, network_job_id);

ALTER TABLE ONLY public.prover_score_history
    ADD CONSTRAINT prover_score_history_event_id_key UNIQUE (event_id);

ALTER TABLE ONLY public.prover_score_history
    ADD CONSTRAINT prover_score_history_pkey PRIMARY KEY (prover_id, version);

ALTER TABLE ONLY public.provers
    ADD CONSTRAINT provers_pkey PRIMARY KEY (prover_id);

ALTER TABLE ONLY public.receipt_keys
    ADD CONSTRAINT receipt_keys_pkey PRIMARY KEY (key_id);

ALTER TABLE ONLY public.receipt_keys
    ADD CONSTRAINT receipt_keys_public_key_key UNIQUE (public_key);

ALTER TABLE ONLY public.receipt_signatures
    ADD CONSTRAINT receipt_signatures_pkey PRIMARY KEY (receipt_id, signer_id);

ALTER TABLE ONLY public.receipts
    ADD CONSTRAINT receipts_network_job_id_kind_round_key UNIQUE (network_job_id, kind, round);

ALTER TABLE ONLY public.receipts
    ADD CONSTRAINT receipts_network_job_id_seq_key UNIQUE (network_job_id, seq);

ALTER TABLE ONLY public.receipts
    ADD CONSTRAINT receipts_pkey PRIMARY KEY (receipt_id);

ALTER TABLE ONLY public.receipts
    ADD CONSTRAINT receipts_receipt_hash_key UNIQUE (receipt_hash);

ALTER TABLE ONLY public.request_signatures
    ADD CONSTRAINT request_signatures_pkey PRIMARY KEY (signature);

ALTER TABLE ONLY public.revoked_replicas
    ADD CONSTRAINT revoked_replicas_pkey PRIMARY KEY (prover_id, network_job_id);

ALTER TABLE ONLY public.scheduler_config
    ADD CONSTRAINT scheduler_config_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.scorecard_retries
    ADD CONSTRAINT scorecard_retries_pkey PRIMARY KEY (event_id);

ALTER TABLE ONLY public.service_schedule_versions
    ADD CONSTRAINT service_schedule_versions_pkey PRIMARY KEY (id, version);

ALTER TABLE ONLY public.service_schedules
    ADD CONSTRAINT service_schedules_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.settlement_balances
    ADD CONSTRAINT settlement_balances_pkey PRIMARY KEY (account_id, batch_no);

ALTER TABLE ONLY public.settlement_batch_transfers
    ADD CONSTRAINT settlement_batch_transfers_pkey PRIMARY KEY (transfer_id);

ALTER TABLE ONLY public.settlement_batch_transfers
    ADD CONSTRAINT settlement_batch_transfers_position UNIQUE (batch_no, "position");

ALTER TABLE ONLY public.settlement_batches
    ADD CONSTRAINT settlement_batches_batch_hash_key UNIQUE (batch_hash);

ALTER TABLE ONLY public.settlement_batches
    ADD CONSTRAINT settlement_batches_pkey PRIMARY KEY (batch_no);

ALTER TABLE ONLY public.settlement_deliveries
    ADD CONSTRAINT settlement_deliveries_pkey PRIMARY KEY (sink, batch_no);

ALTER TABLE ONLY public.settlement_failover
    ADD CONSTRAINT settlement_failover_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.settlement_sink_health
    ADD CONSTRAINT settlement_sink_health_pkey PRIMARY KEY (sink);

ALTER TABLE ONLY public.transfers
    ADD CONSTRAINT transfers_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.transfers
    ADD CONSTRAINT transfers_seq_key UNIQUE (seq);

ALTER TABLE ONLY public.webhook_deliveries
    ADD CONSTRAINT webhook_deliveries_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.webhook_deliveries
    ADD CONSTRAINT webhook_deliveries_subscription_id_event_id_key UNIQUE (subscription_id, event_id);

ALTER TABLE ONLY public.webhook_subscriptions
    ADD CONSTRAINT webhook_subscriptions_pkey PRIMARY KEY (id);

CREATE INDEX api_keys_role_subject_idx ON public.api_keys USING btree (role, subject);

CREATE INDEX balance_alerts_account_idx ON public.balance_alerts USING btree (account_id);

CREATE INDEX control_log_action_idx ON public.control_log USING btree (action, seq);

CREATE INDEX control_log_actor_idx ON public.control_log USING btree (actor_key_id, seq);

CREATE INDEX control_log_at_idx ON public.control_log USING btree (at, seq);

CREATE INDEX control_log_unchained_idx ON public.control_log USING btree (seq) WHERE (hash IS NULL);

CREATE INDEX entries_account_idx ON public.entries USING btree (account_id, transfer_seq);

CREATE INDEX entries_account_time_idx ON public.entries USING btree (account_id, created_at, id);

CREATE INDEX entries_transfer_idx ON public.entries USING btree (transfer_id);

CREATE INDEX holds_credit_account_idx ON public.holds USING btree (credit_account_id, created_at, id);

CREATE INDEX holds_debit_account_idx ON public.holds USING btree (debit_account_id, created_at, id);

CREATE INDEX holds_expiry_idx ON public.holds USING btree (expires_at) WHERE (((status)::text = 'pending'::text) AND (expires_at IS NOT NULL));

CREATE INDEX job_assignments_active_idx ON public.job_assignments USING btree (prover_id, assigned_at) WHERE ((status)::text = ANY ((ARRAY['ASSIGNED'::character varying, 'RUNNING'::character varying])::text[]));

CREATE INDEX job_assignments_prover_idx ON public.job_assignments USING btree (prover_id, status);

CREATE INDEX job_audit_log_job_idx ON public.job_audit_log USING btree (network_job_id);

CREATE INDEX jobs_client_idx ON public.jobs USING btree (client_id, submitted_at, network_job_id);

CREATE INDEX jobs_dispute_window_idx ON public.jobs USING btree (dispute_closes_at) WHERE (((status)::text = 'COMPLETED'::text) AND (dispute_closes_at IS NOT NULL));

CREATE INDEX jobs_ended_idx ON public.jobs USING btree (COALESCE(completed_at, failed_at, cancelled_at)) WHERE (COALESCE(completed_at, failed_at, cancelled_at) IS NOT NULL);

CREATE INDEX jobs_pending_idx ON public.jobs USING btree (priority, submitted_at) WHERE ((status)::text = 'PENDING'::text);

CREATE INDEX jobs_status_idx ON public.jobs USING btree (status, submitted_at, network_job_id);

CREATE INDEX ledger_verify_runs_latest ON public.ledger_verify_runs USING btree (started_at DESC);

CREATE UNIQUE INDEX ledger_verify_runs_one_running ON public.ledger_verify_runs USING btree (status) WHERE ((status)::text = 'running'::text);

CREATE INDEX outbox_broker_pending_idx ON public.outbox USING btree (id) WHERE (broker_published_at IS NULL);

CREATE INDEX outbox_unpublished_idx ON public.outbox USING btree (id) WHERE (published_at IS NULL);

CREATE INDEX payouts_prover_idx ON public.payouts USING btree (prover_id, created_at, id);

CREATE INDEX payouts_status_idx ON public.payouts USING btree (status, created_at, id);

CREATE INDEX provers_live_idx ON public.provers USING btree (state, last_heartbeat);

CREATE UNIQUE INDEX receipt_keys_one_active ON public.receipt_keys USING btree (purpose) WHERE ((status)::text = 'active'::text);

CREATE UNIQUE INDEX receipts_one_settlement ON public.receipts USING btree (network_job_id) WHERE ((kind)::text = 'settlement'::text);

CREATE INDEX request_signatures_seen_at_idx ON public.request_signatures USING btree (seen_at);

CREATE INDEX scorecard_retries_due_idx ON public.scorecard_retries USING btree (next_attempt_at);

CREATE INDEX settlement_deliveries_batch_idx ON public.settlement_deliveries USING btree (batch_no) WHERE ((status)::text = 'delivered'::text);

CREATE INDEX settlement_deliveries_open_idx ON public.settlement_deliveries USING btree (sink, batch_no) WHERE ((status)::text <> 'delivered'::text);

CREATE INDEX transfers_created_idx ON public.transfers USING btree (created_at, seq);

CREATE INDEX transfers_job_idx ON public.transfers USING btree (job_id, seq) WHERE (job_id IS NOT NULL);

CREATE INDEX transfers_kind_idx ON public.transfers USING btree (kind, seq);

CREATE INDEX transfers_xact_idx ON public.transfers USING btree (xact_id);

CREATE INDEX webhook_deliveries_due_idx ON public.webhook_deliveries USING btree (next_attempt_at) WHERE ((status)::text = 'pending'::text);

CREATE INDEX webhook_subscriptions_owner_idx ON public.webhook_subscriptions USING btree (owner_role, owner_subject);

CREATE TRIGGER control_log_append_only BEFORE DELETE OR UPDATE ON public.control_log FOR EACH ROW EXECUTE FUNCTION public.control_log_reject_change();

CREATE TRIGGER control_log_no_truncate BEFORE TRUNCATE ON public.control_log FOR EACH STATEMENT EXECUTE FUNCTION public.control_log_reject_change();

CREATE TRIGGER entries_append_only BEFORE DELETE OR UPDATE ON public.entries FOR EACH ROW EXECUTE FUNCTION public.ledger_reject_change();

CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON public.entries FOR EACH STATEMENT EXECUTE FUNCTION public.ledger_reject_change();

CREATE CONSTRAINT TRIGGER entries_transfer_balances AFTER INSERT ON public.entries DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN ((new.leg = 0)) EXECUTE FUNCTION public.ledger_transfer_balances();

CREATE TRIGGER job_audit_log_append_only BEFORE DELETE OR UPDATE ON public.job_audit_log FOR EACH ROW EXECUTE FUNCTION public.ledger_reject_change();

CREATE TRIGGER receipt_keys_keep BEFORE DELETE ON public.receipt_keys FOR EACH ROW EXECUTE FUNCTION public.receipt_keys_no_delete();

CREATE TRIGGER receipt_signatures_append_only BEFORE DELETE OR UPDATE ON public.receipt_signatures FOR EACH ROW EXECUTE FUNCTION public.ledger_reject_change();

CREATE TRIGGER receipt_signatures_no_truncate BEFORE TRUNCATE ON public.receipt_signatures FOR EACH STATEMENT EXECUTE FUNCTION public.ledger_reject_change();

CREATE TRIGGER receipts_append_only BEFORE DELETE OR UPDATE ON public.receipts FOR EACH ROW EXECUTE FUNCTION public.ledger_reject_change();

CREATE TRIGGER receipts_no_truncate BEFORE TRUNCATE ON public.receipts FOR EACH STATEMENT EXECUTE FUNCTION public.ledger_reject_change();

CREATE TRIGGER settlement_balances_append_only BEFORE DELETE OR UPDATE ON public.settlement_balances FOR EACH ROW EXECUTE FUNCTION public.ledger_reject_change();

CREATE TRIGGER settlement_balances_no_truncate BEFORE TRUNCATE ON public.settlement_balances FOR EACH STATEMENT EXECUTE FUNCTION public.ledger_reject_change();

CREATE TRIGGER settlement_batch_transfers_append_only BEFORE DELETE OR UPDATE ON public.settlement_batch_transfers FOR EACH ROW EXECUTE FUNCTION public.ledger_reject_change();

CREATE TRIGGER settlement_batch_transfers_no_truncate BEFORE TRUNCATE ON public.settlement_batch_transfers FOR EACH STATEMENT EXECUTE FUNCTION public.ledger_reject_change();

CREATE TRIGGER settlement_batches_append_only BEFORE DELETE OR UPDATE ON public.settlement_batches FOR EACH ROW EXECUTE FUNCTION public.ledger_reject_change();

CREATE TRIGGER settlement_batches_no_truncate BEFORE TRUNCATE ON public.settlement_batches FOR EACH STATEMENT EXECUTE FUNCTION public.ledger_reject_change();

CREATE TRIGGER transfers_append_only BEFORE DELETE OR UPDATE ON public.transfers FOR EACH ROW EXECUTE FUNCTION public.ledger_reject_change();

CREATE TRIGGER transfers_no_truncate BEFORE TRUNCATE ON public.transfers FOR EACH STATEMENT EXECUTE FUNCTION public.ledger_reject_change();

ALTER TABLE ONLY public.balance_alerts
    ADD CONSTRAINT balance_alerts_account_id_fkey FOREIGN KEY (account_id) REFERENCES public.accounts(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.holds
    ADD CONSTRAINT holds_credit_account_id_fkey FOREIGN KEY (credit_account_id) REFERENCES public.accounts(id);

ALTER TABLE ONLY public.holds
    ADD CONSTRAINT holds_debit_account_id_fkey FOREIGN KEY (debit_account_id) REFERENCES public.accounts(id);

ALTER TABLE ONLY public.holds
    ADD CONSTRAINT holds_id_fkey FOREIGN KEY (id) REFERENCES public.transfers(id);

ALTER TABLE ONLY public.job_assignments
    ADD CONSTRAINT job_assignments_network_job_id_fkey FOREIGN KEY (network_job_id) REFERENCES public.jobs(network_job_id);

ALTER TABLE ONLY public.prover_score_history
    ADD CONSTRAINT prover_score_history_prover_id_fkey FOREIGN KEY (prover_id) REFERENCES public.provers(prover_id);

ALTER TABLE ONLY public.receipt_signatures
    ADD CONSTRAINT receipt_signatures_key_id_fkey FOREIGN KEY (key_id) REFERENCES public.receipt_keys(key_id);

ALTER TABLE ONLY public.receipt_signatures
    ADD CONSTRAINT receipt_signatures_receipt_id_fkey FOREIGN KEY (receipt_id) REFERENCES public.receipts(receipt_id);

ALTER TABLE ONLY public.receipts
    ADD CONSTRAINT receipts_key_id_fkey FOREIGN KEY (key_id) REFERENCES public.receipt_keys(key_id);

ALTER TABLE ONLY public.receipts
    ADD CONSTRAINT receipts_network_job_id_fkey FOREIGN KEY (network_job_id) REFERENCES public.jobs(network_job_id);

ALTER TABLE ONLY public.receipts
    ADD CONSTRAINT receipts_prev_receipt_hash_fkey FOREIGN KEY (prev_receipt_hash) REFERENCES public.receipts(receipt_hash);

ALTER TABLE ONLY public.revoked_replicas
    ADD CONSTRAINT revoked_replicas_network_job_id_fkey FOREIGN KEY (network_job_id) REFERENCES public.jobs(network_job_id);

ALTER TABLE ONLY public.service_schedule_versions
    ADD CONSTRAINT service_schedule_versions_id_fkey FOREIGN KEY (id) REFERENCES public.service_schedules(id);

ALTER TABLE ONLY public.settlement_balances
    ADD CONSTRAINT settlement_balances_batch_no_fkey FOREIGN KEY (batch_no) REFERENCES public.settlement_batches(batch_no);

ALTER TABLE ONLY public.settlement_deliveries
    ADD CONSTRAINT settlement_deliveries_batch_no_fkey FOREIGN KEY (batch_no) REFERENCES public.settlement_batches(batch_no);

ALTER TABLE ONLY public.webhook_deliveries
    ADD CONSTRAINT webhook_deliveries_subscription_id_fkey FOREIGN KEY (subscription_id) REFERENCES public.webhook_subscriptions(id) ON DELETE CASCADE;

