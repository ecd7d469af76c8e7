import type { EntityManager } from 'typeorm';
import { LEASED_UNTIL, OutboxRecord, outboxPublishedAtSql, prepared, recordOf } from '@tally/database';
// Declares the ledger's outbox event types (external only) before the first posting writes one.
import { LEDGER_EVENT_OF_KIND } from '../events/ledger.events';
import {
  type AcceptedPosting,
  type AccountCounters,
  balanceOf,
  type BalanceStep,
  decidePosting,
  legText,
  nextHead,
  type HoldState,
  type LedgerRejection,
  type LedgerState,
  type Phase,
  type PostingRequest,
  type PostingResult,
  type Side,
  type TransferView,
} from '../domain';
import type { AccountState } from './account-locks';

/**
 * The account versions a batch was computed from, when its accounts were not locked first:
 * the write then applies only if none has moved, and fails as a whole otherwise.
 */
export interface VersionGuard {
  versions: Map<string, bigint>;
}

/**
 * Collects a batch's rows and writes them in one statement: each request is decided by the
 * ledger's rules (`post`) against the batch's state, and what it does is recorded here.
 */
export class BatchWriter {
  transfers: TransferView[] = [];
  private requests: PostingRequest[] = [];
  /** An imported transfer's own time (its entries' too); null: the statement's now(). */
  private importedAt: (Date | null)[] = [];
  private entries: {
    transfer: TransferView;
    leg: number;
    account: string;
    side: Side;
    phase: Phase;
    amount: bigint;
    after: AccountCounters;
    version: bigint;
    hash: Buffer;
  }[] = [];
  private newHolds: (HoldState & { jobId: string | null })[] = [];
  private resolvedHolds: { id: string; status: string; captured: bigint; by: string }[] = [];
  private outcomes: {
    scope: string;
    key: string;
    requestHash: string;
    outcome: 'posted' | 'rejected';
    transferId: string | null;
    rejection: string | null;
  }[] = [];

  /**
   * Decides one request against `state` (which it moves, if accepted) and records what it
   * wrote, and its answer under its idempotency key.
   */
  post(r: PostingRequest, state: LedgerState<AccountState>): PostingResult {
    const decision = decidePosting(r, state);
    const result: PostingResult =
      'accepted' in decision
        ? { outcome: 'posted', transfer: this.addPosting(r, decision.accepted, state) }
        : { outcome: 'rejected', rejection: decision.rejected };
    if (r.idempotency) this.recordOutcome(r.idempotency, result);
    return result;
  }

  private addPosting(r: PostingRequest, accepted: AcceptedPosting, state: LedgerState<AccountState>): TransferView {
    const transfer: TransferView = {
      id: r.id,
      seq: '',
      kind: r.kind,
      amount: accepted.amount.toString(),
      hold_id: accepted.holdId,
      job_id: r.jobId ?? null,
      prover_id: r.proverId ?? null,
      memo: r.memo ?? null,
      metadata: r.metadata ?? null,
      created_at: (r.createdAt ?? state.now).toISOString(),
      entries: [],
    };
    this.transfers.push(transfer);
    this.requests.push(r);
    this.importedAt.push(r.createdAt ?? null);

    // Each account's version moves once per transfer, and its hash chain by this transfer's legs.
    const legsByAccount = new Map<string, string[]>();
    for (const l of accepted.legs) {
      legsByAccount.set(l.account, [...(legsByAccount.get(l.account) ?? []), legText(l)]);
    }
    for (const [id, legTexts] of legsByAccount) {
      const a = state.accounts.get(id)!;
      a.version += 1n;
      a.head = nextHead(a.head, r.id, legTexts.join(','));
      a.touched = true;
    }
    accepted.legs.forEach((l, leg) => {
      const a = state.accounts.get(l.account)!;
      this.entries.push({ transfer, leg, ...l, version: a.version, hash: a.head });
      transfer.entries.push({
        account_type: a.kind,
        account_id: a.owner,
        side: l.side,
        phase: l.phase,
        amount: l.amount.toString(),
        posted_debits: l.after.postedDebits.toString(),
        posted_credits: l.after.postedCredits.toString(),
        pending_debits: l.after.pendingDebits.toString(),
        pending_credits: l.after.pendingCredits.toString(),
        version: a.version.toString(),
      });
    });

    if (accepted.placedHold) this.newHolds.push({ ...accepted.placedHold, jobId: r.jobId ?? null });
    if (accepted.resolvedHold) {
      const { hold, captured } = accepted.resolvedHold;
      this.resolvedHolds.push({ id: hold.id, status: hold.status, captured, by: r.id });
    }
    return transfer;
  }

  /** Records a refusal decided outside the rules' own check (a linked chain's), under its key. */
  reject(r: PostingRequest, why: LedgerRejection): PostingResult {
    const result: PostingResult = { outcome: 'rejected', rejection: why };
    if (r.idempotency) this.recordOutcome(r.idempotency, result);
    return result;
  }

  private recordOutcome(idem: { scope: string; key: string; requestHash: string }, result: PostingResult): void {
    this.outcomes.push({
      scope: idem.scope,
      key: idem.key,
      requestHash: idem.requestHash,
      outcome: 'transfer' in result ? 'posted' : 'rejected',
      transferId: 'transfer' in result ? result.transfer.id : null,
      rejection: 'rejection' in result ? JSON.stringify(result.rejection) : null,
    });
  }

  /**
   * The available balances each of `accounts` passed through in this batch, in order: one
   * step per transfer that moved it (its last leg on the account).
   */
  balanceSteps(accounts: ReadonlySet<string>): Map<string, BalanceStep[]> {
    const steps = new Map<string, BalanceStep[]>();
    for (const e of this.entries) {
      if (!accounts.has(e.account)) continue;
      const list = steps.get(e.account) ?? [];
      const step = { transferId: e.transfer.id, available: balanceOf(e.after).available };
      if (list.at(-1)?.transferId === step.transferId) list[list.length - 1] = step;
      else list.push(step);
      steps.set(e.account, list);
    }
    return steps;
  }

  /**
   * Writes the whole batch in one statement (one round trip): the accounts it locked stay
   * locked only for this statement and the commit, so a hot account's lock is held as
   * briefly as the database allows, however busy this process is.
   *
   * With `keys` 'insert' (and always with a guard) the idempotency keys are inserted here with
   * their outcomes, not updated from claims: a key another transaction took meanwhile fails
   * the statement (TL001). With a guard (no locks taken before), the statement also checks that every account
   * the batch read still has the version it was computed from, and claims the batch's
   * idempotency keys; if any account moved or any key is taken, it fails as a whole
   * (SQLSTATE TL001, or a unique or check violation) and writes nothing. Returns the
   * statement's now() (the transfers' created_at) and the transfers' outbox rows, leased
   * to this process's relay like every row the OutboxWriter writes.
   */
  async write(
    m: EntityManager,
    accounts: Map<string, AccountState>,
    guard?: VersionGuard,
    keys: 'claimed' | 'insert' = guard ? 'insert' : 'claimed',
  ): Promise<{ now?: Date; events: OutboxRecord[] }> {
    if (this.transfers.length === 0 && this.outcomes.length === 0) return { events: [] };
    // A hold placed and resolved in the same batch is inserted with its final state.
    const newHolds = new Map(this.newHolds.map((h) => [h.id, { ...h, captured: 0n, by: null as string | null }]));
    const resolvedHolds = this.resolvedHolds.filter((r) => {
      const created = newHolds.get(r.id);
      if (!created) return true;
      Object.assign(created, { status: r.status, captured: r.captured, by: r.by });
      return false;
    });
    const touched = [...accounts.values()].filter((a) => a.touched);
    const t = this.transfers;
    const e = this.entries;
    const h = [...newHolds.values()];
    const o = this.outcomes;
    const events = t.map((x) =>
      recordOf({ type: LEDGER_EVENT_OF_KIND[x.kind], partitionKey: x.job_id ?? x.id, payload: outboxPayload(x) }),
    );
    const ordinal = new Map(t.map((x, i) => [x, i + 1]));
    const params: unknown[] = [];
    const p = (value: unknown) => `$${params.push(value)}`;
    const version = (a: AccountState) => guard!.versions.get(a.id)!.toString();
    const untouched = guard ? [...accounts.values()].filter((a) => !a.touched) : [];
    // Sequence numbers are drawn here, while the batch's accounts are locked, so on every
    // account the order of sequence numbers is the order its transfers were applied in.
    const [{ seqs, now }]: { seqs: string[] | null; now: Date }[] = await prepared(
      m,
      `WITH
       ${
         // Guarded: the accounts are locked here, in id order like everywhere else (no deadlocks).
         guard
           ? `lk AS (SELECT id FROM accounts WHERE id = ANY(${p(touched.map((a) => a.id))}::bigint[])
                     ORDER BY id FOR NO KEY UPDATE),`
           : ''
       }
       acc AS (
         UPDATE accounts a SET posted_debits = u.pd, posted_credits = u.pc, pending_debits = u.nd,
                pending_credits = u.nc, version = u.v, head_hash = decode(u.h, 'hex')
         FROM unnest(${p(touched.map((a) => a.id))}::bigint[], ${p(touched.map((a) => a.postedDebits.toString()))}::bigint[],
                     ${p(touched.map((a) => a.postedCredits.toString()))}::bigint[], ${p(touched.map((a) => a.pendingDebits.toString()))}::bigint[],
                     ${p(touched.map((a) => a.pendingCredits.toString()))}::bigint[], ${p(touched.map((a) => a.version.toString()))}::bigint[],
                     ${p(touched.map((a) => a.head.toString('hex')))}::text[],
                     ${p(guard ? touched.map(version) : touched.map(() => null))}::bigint[]) AS u(id, pd, pc, nd, nc, v, h, was)
         -- Guarded: an account with balance alerts is left to the locking way, which evaluates them.
         WHERE a.id = u.id ${guard ? 'AND a.version = u.was AND NOT a.has_alerts AND (SELECT count(*) FROM lk) >= 0' : ''} RETURNING 1),
       ro AS (
         SELECT count(*) AS n FROM accounts a
         JOIN unnest(${p(untouched.map((a) => a.id))}::bigint[], ${p(untouched.map(version))}::bigint[]) AS u(id, was)
           ON a.id = u.id AND a.version = u.was),
       s AS (SELECT row_number() OVER (ORDER BY v) AS i, v AS seq
             FROM (SELECT nextval('transfers_seq') AS v FROM generate_series(1, ${p(t.length)}::int)
                   -- Guarded: only once every account is updated (and so locked), and none had moved.
                   ${guard ? `WHERE (SELECT count(*) FROM acc) = ${p(touched.length)}` : ''}) x),
       tr AS (
         INSERT INTO transfers (id, seq, kind, amount, hold_id, job_id, prover_id, memo, metadata, idempotency_key,
                                created_at)
         SELECT u.id, s.seq, u.kind, u.amount, u.hold_id, u.job_id, u.prover_id, u.memo, u.metadata, u.idem,
                coalesce(u.at, now())
         FROM unnest(${p(t.map((x) => x.id))}::uuid[],
                              ${p(t.map((x) => x.kind))}::varchar[], ${p(t.map((x) => x.amount))}::bigint[],
                              ${p(t.map((x) => x.hold_id))}::uuid[], ${p(t.map((x) => x.job_id))}::varchar[],
                              ${p(t.map((x) => x.prover_id))}::varchar[], ${p(t.map((x) => x.memo))}::varchar[],
                              ${p(t.map((x) => (x.metadata ? JSON.stringify(x.metadata) : null)))}::jsonb[],
                              ${p(this.requests.map((r) => r.idempotency?.key ?? null))}::varchar[],
                              ${p(this.importedAt.map((d) => d?.toISOString() ?? null))}::timestamptz[])
              WITH ORDINALITY AS u(id, kind, amount, hold_id, job_id, prover_id, memo, metadata, idem, at, i)
         JOIN s USING (i)
         RETURNING 1),
       en AS (
         INSERT INTO entries (transfer_id, transfer_seq, leg, account_id, side, phase, amount, posted_debits_after,
                              posted_credits_after, pending_debits_after, pending_credits_after, version_after, hash,
                              created_at)
         SELECT t, s.seq, l, a, sd, ph, am, pd, pc, nd, nc, v, decode(h, 'hex'), coalesce(at, now())
         FROM unnest(${p(e.map((x) => x.transfer.id))}::uuid[], ${p(e.map((x) => ordinal.get(x.transfer)))}::bigint[],
                     ${p(e.map((x) => x.leg))}::smallint[], ${p(e.map((x) => x.account))}::bigint[],
                     ${p(e.map((x) => x.side))}::char[], ${p(e.map((x) => x.phase))}::varchar[],
                     ${p(e.map((x) => x.amount.toString()))}::bigint[], ${p(e.map((x) => x.after.postedDebits.toString()))}::bigint[],
                     ${p(e.map((x) => x.after.postedCredits.toString()))}::bigint[], ${p(e.map((x) => x.after.pendingDebits.toString()))}::bigint[],
                     ${p(e.map((x) => x.after.pendingCredits.toString()))}::bigint[], ${p(e.map((x) => x.version.toString()))}::bigint[],
                     ${p(e.map((x) => x.hash.toString('hex')))}::text[],
                     ${p(e.map((x) => this.importedAt[ordinal.get(x.transfer)! - 1]?.toISOString() ?? null))}::timestamptz[])
              AS u(t, i, l, a, sd, ph, am, pd, pc, nd, nc, v, h, at)
         JOIN s USING (i)
         RETURNING 1),
       ob AS (
         INSERT INTO outbox (event_id, event_type, partition_key, payload, next_attempt_at, published_at)
         SELECT u.id, u.ty, u.pk, u.pl || jsonb_build_object('seq', s.seq::text), ${LEASED_UNTIL},
                ${outboxPublishedAtSql('u.ty')}
         FROM unnest(${p(events.map((x) => x.event_id))}::uuid[], ${p(events.map((x) => x.event_type))}::varchar[],
                     ${p(t.map((x) => x.job_id ?? x.id))}::varchar[],
                     ${p(events.map((x) => JSON.stringify(x.payload)))}::jsonb[]) WITH ORDINALITY AS u(id, ty, pk, pl, i)
         JOIN s USING (i)
         RETURNING 1),
       nh AS (
         INSERT INTO holds (id, debit_account_id, credit_account_id, amount, expires_at, job_id, status, captured,
                            resolved_by, resolved_at)
         SELECT id, d, c, am, ex, j, st, cp, b, CASE WHEN st = 'pending' THEN NULL ELSE now() END
         FROM unnest(${p(h.map((x) => x.id))}::uuid[], ${p(h.map((x) => x.debit))}::bigint[], ${p(h.map((x) => x.credit))}::bigint[],
                     ${p(h.map((x) => x.amount.toString()))}::bigint[], ${p(h.map((x) => x.expiresAt))}::timestamptz[],
                     ${p(h.map((x) => x.jobId))}::varchar[], ${p(h.map((x) => x.status))}::varchar[],
                     ${p(h.map((x) => x.captured.toString()))}::bigint[], ${p(h.map((x) => x.by))}::uuid[])
              AS u(id, d, c, am, ex, j, st, cp, b)
         RETURNING 1),
       rh AS (
         UPDATE holds SET status = u.st, captured = u.c, resolved_by = u.b, resolved_at = now()
         FROM unnest(${p(resolvedHolds.map((x) => x.id))}::uuid[], ${p(resolvedHolds.map((x) => x.status))}::varchar[],
                     ${p(resolvedHolds.map((x) => x.captured.toString()))}::bigint[], ${p(resolvedHolds.map((x) => x.by))}::uuid[])
              AS u(id, st, c, b)
         WHERE holds.id = u.id RETURNING 1),
       ik AS (${
         keys === 'insert'
           ? // Claimed here: a key already taken (a replay, or a request in flight elsewhere) is a conflict.
             `INSERT INTO idempotency_keys (scope, key, request_hash, outcome, transfer_id, rejection)
              SELECT * FROM unnest(${p(o.map((x) => x.scope))}::varchar[], ${p(o.map((x) => x.key))}::varchar[],
                                   ${p(o.map((x) => x.requestHash))}::varchar[], ${p(o.map((x) => x.outcome))}::varchar[],
                                   ${p(o.map((x) => x.transferId))}::uuid[], ${p(o.map((x) => x.rejection))}::jsonb[])
              ON CONFLICT DO NOTHING RETURNING 1`
           : `UPDATE idempotency_keys k SET outcome = u.o, transfer_id = u.t, rejection = u.r
              FROM unnest(${p(o.map((x) => x.scope))}::varchar[], ${p(o.map((x) => x.key))}::varchar[], ${p(o.map((x) => x.outcome))}::varchar[],
                          ${p(o.map((x) => x.transferId))}::uuid[], ${p(o.map((x) => x.rejection))}::jsonb[]) AS u(s, k2, o, t, r)
              WHERE k.scope = u.s AND k.key = u.k2 RETURNING 1`
       })
       SELECT (SELECT array_agg(seq::text ORDER BY i) FROM s) AS seqs, now() AS now,
              ${
                guard
                  ? `ledger_batch_current((SELECT count(*) FROM acc) = ${p(touched.length)}
                       AND (SELECT n FROM ro) = ${p(untouched.length)} AND (SELECT count(*) FROM ik) = ${p(o.length)})`
                  : keys === 'insert'
                    ? `ledger_batch_current((SELECT count(*) FROM ik) = ${p(o.length)})`
                    : 'true'
              } AS current,
              (SELECT count(*) FROM acc) + (SELECT count(*) FROM tr) + (SELECT count(*) FROM en) + (SELECT count(*) FROM ob)
            + (SELECT count(*) FROM nh) + (SELECT count(*) FROM rh) + (SELECT count(*) FROM ik) AS written`,
      params,
    );
    t.forEach((x, i) => {
      x.seq = seqs![i];
      events[i].payload = { ...events[i].payload, seq: x.seq };
    });
    return { now, events };
  }
}

const outboxPayload = (x: TransferView) => ({
  transfer_id: x.id,
  kind: x.kind,
  amount: x.amount,
  hold_id: x.hold_id,
  job_id: x.job_id,
  prover_id: x.prover_id,
  legs: x.entries.map((e) => ({
    account_type: e.account_type,
    account_id: e.account_id,
    side: e.side,
    phase: e.phase,
    amount: e.amount,
  })),
});
