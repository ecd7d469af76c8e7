import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { LEASED_UNTIL, OutboxRecord, outboxPublishedAtSql, prepared, recordOf } from '@tally/database';
// Declares the ledger's outbox event types (external only) before the first posting writes one.
import '../events/ledger.events';
import { INT64_MAX } from '@tally/shared';
import { KEY_REUSED } from '../domain';
import type { AccountKind, AccountRef, Phase, PostingRequest, PostingResult, Side, TransferView } from '../domain';

/** An account row as locked (or known) for the batch, with its counters as the batch moves them. */
export interface AccountState {
  id: string;
  kind: AccountKind;
  owner: string;
  allowNegative: boolean;
  pd: bigint;
  pc: bigint;
  nd: bigint;
  nc: bigint;
  version: bigint;
  head: Buffer;
  touched: boolean;
}

interface HoldState {
  id: string;
  debit: string;
  credit: string;
  amount: bigint;
  status: string;
  expiresAt: Date | null;
}

interface ResolvedLeg {
  account: string;
  side: Side;
  phase: Phase;
  amount: bigint;
}

type Rejection = { status: number; error: { code: string; detail: string } };

export const refKey = (kind: string, owner: string) => `${kind}/${owner}`;

type Counter = 'pd' | 'pc' | 'nd' | 'nc';

/** The running counter a leg moves (posted or pending, debit or credit), and by how much. */
function counterMove(l: ResolvedLeg): { counter: Counter; by: bigint } {
  if (l.phase === 'posted') return { counter: l.side === 'D' ? 'pd' : 'pc', by: l.amount };
  return { counter: l.side === 'D' ? 'nd' : 'nc', by: l.phase === 'release' ? -l.amount : l.amount };
}

/** Each account's counters once `legs` apply (the accounts themselves are left as they are). */
function countersAfter(legs: ResolvedLeg[], accounts: Map<string, AccountState>): Map<string, Record<Counter, bigint>> {
  const after = new Map<string, Record<Counter, bigint>>();
  for (const l of legs) {
    const a = accounts.get(l.account)!;
    const c = after.get(l.account) ?? { pd: a.pd, pc: a.pc, nd: a.nd, nc: a.nc };
    const { counter, by } = counterMove(l);
    c[counter] += by;
    after.set(l.account, c);
  }
  return after;
}

/** The columns an AccountState is read from (`accounts a`), and the row they give. */
export const ACCOUNT_STATE_COLUMNS = `a.id::text, a.kind, a.owner_id, a.allow_negative, a.posted_debits::text AS pd,
  a.posted_credits::text AS pc, a.pending_debits::text AS nd, a.pending_credits::text AS nc, a.version::text, a.head_hash`;
export interface AccountStateRow {
  id: string;
  kind: AccountKind;
  owner_id: string;
  allow_negative: boolean;
  pd: string;
  pc: string;
  nd: string;
  nc: string;
  version: string;
  head_hash: Buffer;
}

export function accountStateOf(a: AccountStateRow): AccountState {
  return {
    id: a.id,
    kind: a.kind,
    owner: a.owner_id,
    allowNegative: a.allow_negative,
    pd: BigInt(a.pd),
    pc: BigInt(a.pc),
    nd: BigInt(a.nd),
    nc: BigInt(a.nc),
    version: BigInt(a.version),
    head: a.head_hash,
    touched: false,
  };
}
const AUTO_CREATED: readonly string[] = ['user', 'provider'];

/**
 * Computes a batch of postings in memory and writes them set-based, in the caller's
 * transaction: a handful of statements per batch however many transfers it holds.
 *
 * Every account and hold the batch touches is locked first (holds, then accounts, each in
 * id order, so concurrent batches cannot deadlock); then each request is checked and
 * applied in order against the locked balances, so request n sees requests 1..n-1. The
 * accounts' CHECK constraint stays the last word on overdrafts.
 */
@Injectable()
export class PostingEngine {
  /**
   * Also returns the outbox rows the batch wrote (leased to this process): the caller hands
   * them to the relay once they are committed (OutboxWriter.written).
   */
  async run(
    m: EntityManager,
    requests: PostingRequest[],
  ): Promise<{ results: PostingResult[]; events: OutboxRecord[] }> {
    const results: (PostingResult | undefined)[] = new Array(requests.length);
    const active = await this.claimIdempotencyKeys(m, requests, results);

    const holds = await this.lockHolds(
      m,
      active.map((i) => requests[i]),
    );
    const { accounts, byRef, now, created } = await this.lockAccounts(
      m,
      active.map((i) => requests[i]),
      holds,
    );

    const batch = new BatchWriter();
    for (const i of active) {
      const request = requests[i];
      const outcome = this.apply(request, accounts, byRef, holds, now, batch);
      results[i] =
        'transfer' in outcome
          ? { outcome: 'posted', status: 201, transfer: outcome.transfer }
          : { outcome: 'rejected', ...outcome };
      if (request.idempotency) batch.recordOutcome(request.idempotency, results[i]!);
    }
    const { events } = await batch.write(m, accounts);
    // An account created for a credit that was then refused is not left behind.
    const unused = [...created].filter((id) => !accounts.get(id)?.touched);
    if (unused.length > 0) {
      await prepared(m, `DELETE FROM accounts WHERE id = ANY($1::bigint[]) AND version = 0`, [unused]);
    }
    this.resolveDuplicates(requests, results);
    return { results: results as PostingResult[], events };
  }

  /**
   * Claims each request's idempotency key. A key seen before answers from its record
   * (replay, or DSE-009 for a different request); a key another transaction holds makes
   * this INSERT wait for that transaction, so one key settles once across replicas.
   * Returns the indexes of the requests still to post.
   */
  private async claimIdempotencyKeys(
    m: EntityManager,
    requests: PostingRequest[],
    results: (PostingResult | undefined)[],
  ): Promise<number[]> {
    const keyed = requests.map((r, i) => ({ r, i })).filter(({ r }) => r.idempotency);
    if (keyed.length === 0) return requests.map((_, i) => i);
    const claimed: { scope: string; key: string }[] = await prepared(
      m,
      `INSERT INTO idempotency_keys (scope, key, request_hash, status_code)
       SELECT s, k, h, 0 FROM unnest($1::varchar[], $2::varchar[], $3::varchar[]) AS u(s, k, h)
       ON CONFLICT DO NOTHING RETURNING scope, key`,
      [
        keyed.map(({ r }) => r.idempotency!.scope),
        keyed.map(({ r }) => r.idempotency!.key),
        keyed.map(({ r }) => r.idempotency!.requestHash),
      ],
    );
    const claimedKeys = new Set(claimed.map((c) => `${c.scope}\u0000${c.key}`));
    const owners = new Set<string>();
    const earlier: { r: PostingRequest; i: number }[] = [];
    for (const { r, i } of keyed) {
      const k = `${r.idempotency!.scope}\u0000${r.idempotency!.key}`;
      if (claimedKeys.has(k) && !owners.has(k)) owners.add(k);
      else if (!claimedKeys.has(k)) earlier.push({ r, i });
      // else: the same key twice in this batch; resolveDuplicates answers it.
    }
    if (earlier.length > 0) {
      const rows: {
        scope: string;
        key: string;
        request_hash: string;
        status_code: number;
        transfer_id: string | null;
        error: Rejection['error'] | null;
        view: TransferView | null;
      }[] = await prepared(
        m,
        `SELECT k.scope, k.key, k.request_hash, k.status_code, k.transfer_id, k.error,
                  CASE WHEN k.transfer_id IS NOT NULL THEN ledger_transfer_view(k.transfer_id) END AS view
           FROM idempotency_keys k JOIN unnest($1::varchar[], $2::varchar[]) AS u(s, k2) ON k.scope = u.s AND k.key = u.k2`,
        [earlier.map(({ r }) => r.idempotency!.scope), earlier.map(({ r }) => r.idempotency!.key)],
      );
      const byKey = new Map(rows.map((row) => [`${row.scope}\u0000${row.key}`, row]));
      for (const { r, i } of earlier) {
        const row = byKey.get(`${r.idempotency!.scope}\u0000${r.idempotency!.key}`)!;
        results[i] =
          row.request_hash !== r.idempotency!.requestHash
            ? {
                outcome: 'conflict',
                status: 409,
                error: { code: 'DSE-009', detail: KEY_REUSED },
              }
            : row.view
              ? { outcome: 'replay', status: row.status_code, transfer: row.view }
              : { outcome: 'replay', status: row.status_code, error: row.error! };
      }
    }
    const answered = new Set(earlier.map(({ i }) => i));
    const seen = new Set<string>();
    return requests
      .map((r, i) => ({ r, i }))
      .filter(({ r, i }) => {
        if (answered.has(i)) return false;
        if (!r.idempotency) return true;
        const k = `${r.idempotency.scope}\u0000${r.idempotency.key}`;
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      })
      .map(({ i }) => i);
  }

  private async lockHolds(m: EntityManager, requests: PostingRequest[]): Promise<Map<string, HoldState>> {
    const ids = [...new Set(requests.flatMap((r) => ('holdId' in r ? [r.holdId] : [])))];
    const holds = new Map<string, HoldState>();
    if (ids.length === 0) return holds;
    const rows: {
      id: string;
      debit: string;
      credit: string;
      amount: string;
      status: string;
      expires_at: Date | null;
    }[] = await prepared(
      m,
      `SELECT id, debit_account_id::text AS debit, credit_account_id::text AS credit, amount::text, status, expires_at
         FROM holds WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
      [ids],
    );
    for (const h of rows) {
      holds.set(h.id, {
        id: h.id,
        debit: h.debit,
        credit: h.credit,
        amount: BigInt(h.amount),
        status: h.status,
        expiresAt: h.expires_at,
      });
    }
    return holds;
  }

  /**
   * Creates the user and provider accounts that receive credit (`created`: the ones new now,
   * removed again by run() if no posting used them), then locks every account in id order.
   */
  private async lockAccounts(m: EntityManager, requests: PostingRequest[], holds: Map<string, HoldState>) {
    const refs = new Map<string, AccountRef & { credit: boolean }>();
    const note = (ref: AccountRef, credit: boolean) => {
      const k = refKey(ref.kind, ref.owner);
      refs.set(k, { ...ref, credit: credit || (refs.get(k)?.credit ?? false) });
    };
    for (const r of requests) {
      if ('legs' in r) r.legs.forEach((l) => note(l.account, l.side === 'C'));
      if (r.kind === 'hold') {
        note(r.from, false);
        note(r.to, true);
      }
      if (r.kind === 'capture') note(r.to, true);
    }
    const toCreate = [...refs.values()].filter((r) => r.credit && AUTO_CREATED.includes(r.kind));
    const created = new Set<string>();
    if (toCreate.length > 0) {
      const rows = await prepared<{ id: string }>(
        m,
        `INSERT INTO accounts (kind, owner_id) SELECT * FROM unnest($1::varchar[], $2::varchar[]) AS u(kind, owner)
         ORDER BY 1, 2 ON CONFLICT DO NOTHING RETURNING id::text`,
        [toCreate.map((r) => r.kind), toCreate.map((r) => r.owner)],
      );
      for (const r of rows) created.add(r.id);
    }
    const list = [...refs.values()];
    const holdAccounts = [...holds.values()].flatMap((h) => [h.debit, h.credit]);
    // Resolves the references and locks every account in id order, in one statement (NO KEY
    // UPDATE: the key never changes, so foreign-key checks elsewhere do not queue behind it); a
    // reference that resolves to nothing is answered DSE-011 by apply().
    const rows: (AccountStateRow & { now: Date })[] =
      list.length === 0 && holdAccounts.length === 0
        ? []
        : await prepared(
            m,
            `SELECT now() AS now, ${ACCOUNT_STATE_COLUMNS}
             FROM accounts a
             WHERE a.id = ANY(ARRAY(
                     SELECT x.id FROM unnest($1::varchar[], $2::varchar[]) AS u(kind, owner)
                     JOIN accounts x ON x.kind = u.kind AND x.owner_id = u.owner AND x.currency = 'CREDIT'
                   ) || $3::bigint[])
             ORDER BY a.id FOR NO KEY UPDATE`,
            [list.map((r) => r.kind), list.map((r) => r.owner), holdAccounts],
          );
    const now: Date = rows[0]?.now ?? (await prepared<{ now: Date }>(m, `SELECT now() AS now`))[0].now;
    const accounts = new Map<string, AccountState>();
    const byRef = new Map<string, string>();
    for (const a of rows) {
      accounts.set(a.id, accountStateOf(a));
      byRef.set(refKey(a.kind, a.owner_id), a.id);
    }
    return { accounts, byRef, now, created };
  }

  /** Checks one request against the current balances and, if it passes, applies it to them. */
  apply(
    r: PostingRequest,
    accounts: Map<string, AccountState>,
    byRef: Map<string, string>,
    holds: Map<string, HoldState>,
    now: Date,
    batch: BatchWriter,
  ): { transfer: TransferView } | Rejection {
    let legs: { ref?: AccountRef; account?: string; side: Side; phase: Phase; amount: bigint }[];
    let hold: HoldState | undefined;
    if (r.kind === 'capture' || r.kind === 'void' || r.kind === 'expire') {
      hold = holds.get(r.holdId);
      if (!hold) return { status: 404, error: { code: 'DSE-015', detail: `no hold ${r.holdId}` } };
      if (hold.status !== 'pending')
        return { status: 409, error: { code: 'DSE-010', detail: `hold is already ${hold.status}` } };
      if (r.kind === 'capture' && hold.expiresAt && hold.expiresAt <= now) {
        return { status: 409, error: { code: 'DSE-010', detail: 'hold has expired' } };
      }
      if (r.kind === 'capture' && r.amount > hold.amount) {
        return { status: 422, error: { code: 'DSE-013', detail: 'capture exceeds the held amount' } };
      }
      legs = [
        { account: hold.debit, side: 'D', phase: 'release', amount: hold.amount },
        { account: hold.credit, side: 'C', phase: 'release', amount: hold.amount },
      ];
      if (r.kind === 'capture' && r.amount > 0n) {
        legs.push(
          { account: hold.debit, side: 'D', phase: 'posted', amount: r.amount },
          { ref: r.to, side: 'C', phase: 'posted', amount: r.amount },
        );
      }
    } else if (r.kind === 'hold') {
      legs = [
        { ref: r.from, side: 'D', phase: 'pending', amount: r.amount },
        { ref: r.to, side: 'C', phase: 'pending', amount: r.amount },
      ];
    } else if ('legs' in r) {
      legs = r.legs.map((l) => ({ ref: l.account, side: l.side, phase: l.phase ?? 'posted', amount: l.amount }));
    } else {
      throw new Error(`unknown posting kind ${r.kind}`);
    }

    const missing = legs.filter((l) => !l.account && !byRef.has(refKey(l.ref!.kind, l.ref!.owner)));
    if (missing.length > 0) {
      const names = [...new Set(missing.map((l) => refKey(l.ref!.kind, l.ref!.owner)))].join(', ');
      return { status: 404, error: { code: 'DSE-011', detail: `no such account: ${names}` } };
    }
    const resolved: ResolvedLeg[] = legs.map((l) => ({
      account: l.account ?? byRef.get(refKey(l.ref!.kind, l.ref!.owner))!,
      side: l.side,
      phase: l.phase,
      amount: l.amount,
    }));

    // Net change of each account's available balance; refuse before touching anything.
    const delta = new Map<string, bigint>();
    for (const l of resolved) {
      const d =
        l.phase === 'posted'
          ? l.side === 'C'
            ? l.amount
            : -l.amount
          : l.side === 'D'
            ? l.phase === 'pending'
              ? -l.amount
              : l.amount
            : 0n;
      delta.set(l.account, (delta.get(l.account) ?? 0n) + d);
    }
    const short = [...delta].filter(([id, d]) => {
      const a = accounts.get(id)!;
      return d < 0n && !a.allowNegative && a.pc - a.pd - a.nd + d < 0n;
    });
    if (short.length > 0) {
      const names = short.map(([id]) => refKey(accounts.get(id)!.kind, accounts.get(id)!.owner)).join(', ');
      return { status: 402, error: { code: 'DSE-008', detail: `insufficient credits in ${names}` } };
    }

    const amount =
      r.kind === 'capture'
        ? r.amount
        : hold
          ? hold.amount
          : resolved.filter((l) => l.side === 'D').reduce((s, l) => s + l.amount, 0n);
    // Amounts and every account's running counters are BIGINT micros: a transfer that would
    // take either past int64 is refused (DSE-001) before anything moves.
    if (amount > INT64_MAX) {
      return { status: 400, error: { code: 'DSE-001', detail: 'the transfer amount is beyond the int64 range' } };
    }
    const beyond = [...countersAfter(resolved, accounts)].filter(([, c]) =>
      Object.values(c).some((v) => v > INT64_MAX),
    );
    if (beyond.length > 0) {
      const names = beyond.map(([id]) => refKey(accounts.get(id)!.kind, accounts.get(id)!.owner)).join(', ');
      return {
        status: 400,
        error: { code: 'DSE-001', detail: `the transfer would take the totals of ${names} beyond the int64 range` },
      };
    }
    const holdId = hold?.id ?? (r.kind === 'hold' ? r.id : null);
    const transfer = batch.addTransfer(r, amount, holdId, now);
    const firstEntry = batch.entryCount;
    const legsByAccount = new Map<string, string[]>();
    resolved.forEach((l, n) => {
      const a = accounts.get(l.account)!;
      const { counter, by } = counterMove(l);
      a[counter] += by;
      batch.addEntry(transfer, n, a, l);
      legsByAccount.set(l.account, [...(legsByAccount.get(l.account) ?? []), `${l.side}:${l.phase}:${l.amount}`]);
    });
    // Each account's version moves once per transfer, and its hash chain by this transfer's legs.
    for (const [id, legTexts] of legsByAccount) {
      const a = accounts.get(id)!;
      a.version += 1n;
      a.head = createHash('sha256')
        .update(a.head)
        .update(`${r.id}|${legTexts.join(',')}`)
        .digest();
      a.touched = true;
    }
    batch.sealEntries(transfer, accounts, firstEntry);

    if (r.kind === 'hold') {
      const created: HoldState = {
        id: r.id,
        debit: resolved[0].account,
        credit: resolved[1].account,
        amount: r.amount,
        status: 'pending',
        expiresAt: r.expiresAt ?? null,
      };
      holds.set(r.id, created);
      batch.newHolds.push({ ...created, jobId: r.jobId ?? null });
    } else if (hold) {
      hold.status = r.kind === 'capture' ? 'captured' : r.kind === 'void' ? 'voided' : 'expired';
      batch.resolvedHolds.push({
        id: hold.id,
        status: hold.status,
        captured: r.kind === 'capture' ? r.amount : 0n,
        by: r.id,
      });
    }
    return { transfer };
  }

  /** The same key twice in one batch: the later request answers as a replay of the first. */
  private resolveDuplicates(requests: PostingRequest[], results: (PostingResult | undefined)[]): void {
    const first = new Map<string, number>();
    requests.forEach((r, i) => {
      if (!r.idempotency) return;
      const k = `${r.idempotency.scope}\u0000${r.idempotency.key}`;
      const owner = first.get(k);
      if (owner === undefined) {
        first.set(k, i);
        return;
      }
      if (results[i]) return;
      const original = results[owner]!;
      results[i] =
        requests[owner].idempotency!.requestHash !== r.idempotency.requestHash
          ? {
              outcome: 'conflict',
              status: 409,
              error: { code: 'DSE-009', detail: KEY_REUSED },
            }
          : ({ ...original, outcome: 'replay' } as PostingResult);
    });
  }
}

/**
 * The account versions a batch was computed from, when its accounts were not locked first:
 * the write then applies only if none has moved, and fails as a whole otherwise.
 */
export interface VersionGuard {
  versions: Map<string, bigint>;
}

/** Collects a batch's rows and writes them with one statement per table. */
export class BatchWriter {
  transfers: TransferView[] = [];
  private requests: PostingRequest[] = [];
  private entries: {
    transfer: TransferView;
    leg: number;
    account: string;
    side: Side;
    phase: Phase;
    amount: bigint;
    after: bigint[];
    version?: bigint;
    hash?: Buffer;
  }[] = [];
  newHolds: (HoldState & { jobId: string | null })[] = [];
  resolvedHolds: { id: string; status: string; captured: bigint; by: string }[] = [];
  private outcomes: {
    scope: string;
    key: string;
    requestHash: string;
    status: number;
    transferId: string | null;
    error: string | null;
  }[] = [];

  addTransfer(r: PostingRequest, amount: bigint, holdId: string | null, now: Date): TransferView {
    const view: TransferView = {
      id: r.id,
      seq: '',
      kind: r.kind,
      amount: amount.toString(),
      hold_id: holdId,
      job_id: r.jobId ?? null,
      prover_id: r.proverId ?? null,
      memo: r.memo ?? null,
      metadata: r.metadata ?? null,
      created_at: now.toISOString(),
      entries: [],
    };
    this.transfers.push(view);
    this.requests.push(r);
    return view;
  }

  addEntry(transfer: TransferView, leg: number, a: AccountState, l: ResolvedLeg): void {
    this.entries.push({
      transfer,
      leg,
      account: a.id,
      side: l.side,
      phase: l.phase,
      amount: l.amount,
      after: [a.pd, a.pc, a.nd, a.nc],
    });
  }

  get entryCount(): number {
    return this.entries.length;
  }

  /** Fills the transfer's entry views once every account's version and hash have moved. */
  sealEntries(transfer: TransferView, accounts: Map<string, AccountState>, from: number): void {
    for (const e of this.entries.slice(from)) {
      const a = accounts.get(e.account)!;
      transfer.entries.push({
        account_type: a.kind,
        account_id: a.owner,
        side: e.side,
        phase: e.phase,
        amount: e.amount.toString(),
        posted_debits: e.after[0].toString(),
        posted_credits: e.after[1].toString(),
        pending_debits: e.after[2].toString(),
        pending_credits: e.after[3].toString(),
        version: a.version.toString(),
      });
      e.version = a.version;
      e.hash = a.head;
    }
  }

  recordOutcome(idem: { scope: string; key: string; requestHash: string }, result: PostingResult): void {
    this.outcomes.push({
      scope: idem.scope,
      key: idem.key,
      requestHash: idem.requestHash,
      status: result.status,
      transferId: 'transfer' in result ? result.transfer.id : null,
      error: 'error' in result ? JSON.stringify(result.error) : null,
    });
  }

  /**
   * Writes the whole batch in one statement (one round trip): the accounts it locked stay
   * locked only for this statement and the commit, so a hot account's lock is held as
   * briefly as the database allows, however busy this process is.
   *
   * With a guard (no locks taken before), the statement also checks that every account
   * the batch read still has the version it was computed from, and claims the batch's
   * idempotency keys; if any account moved or any key is taken, it fails as a whole
   * (SQLSTATE TL001, or a unique or check violation) and writes nothing. Returns the
   * statement's now() (the transfers' created_at) and the transfers' outbox rows, leased
   * to this process's relay like every row the OutboxWriter writes.
   */
  async write(
    m: EntityManager | DataSource,
    accounts: Map<string, AccountState>,
    guard?: VersionGuard,
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
      recordOf({ type: EVENT_TYPES[x.kind], partitionKey: x.job_id ?? x.id, payload: outboxPayload(x) }),
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
         FROM unnest(${p(touched.map((a) => a.id))}::bigint[], ${p(touched.map((a) => a.pd.toString()))}::bigint[],
                     ${p(touched.map((a) => a.pc.toString()))}::bigint[], ${p(touched.map((a) => a.nd.toString()))}::bigint[],
                     ${p(touched.map((a) => a.nc.toString()))}::bigint[], ${p(touched.map((a) => a.version.toString()))}::bigint[],
                     ${p(touched.map((a) => a.head.toString('hex')))}::text[],
                     ${p(guard ? touched.map(version) : touched.map(() => null))}::bigint[]) AS u(id, pd, pc, nd, nc, v, h, was)
         WHERE a.id = u.id ${guard ? 'AND a.version = u.was AND (SELECT count(*) FROM lk) >= 0' : ''} RETURNING 1),
       ro AS (
         SELECT count(*) AS n FROM accounts a
         JOIN unnest(${p(untouched.map((a) => a.id))}::bigint[], ${p(untouched.map(version))}::bigint[]) AS u(id, was)
           ON a.id = u.id AND a.version = u.was),
       s AS (SELECT row_number() OVER (ORDER BY v) AS i, v AS seq
             FROM (SELECT nextval('transfers_seq') AS v FROM generate_series(1, ${p(t.length)}::int)
                   -- Guarded: only once every account is updated (and so locked), and none had moved.
                   ${guard ? `WHERE (SELECT count(*) FROM acc) = ${p(touched.length)}` : ''}) x),
       tr AS (
         INSERT INTO transfers (id, seq, kind, amount, hold_id, job_id, prover_id, memo, metadata, idempotency_key)
         SELECT u.id, s.seq, u.kind, u.amount, u.hold_id, u.job_id, u.prover_id, u.memo, u.metadata, u.idem
         FROM unnest(${p(t.map((x) => x.id))}::uuid[],
                              ${p(t.map((x) => x.kind))}::varchar[], ${p(t.map((x) => x.amount))}::bigint[],
                              ${p(t.map((x) => x.hold_id))}::uuid[], ${p(t.map((x) => x.job_id))}::varchar[],
                              ${p(t.map((x) => x.prover_id))}::varchar[], ${p(t.map((x) => x.memo))}::varchar[],
                              ${p(t.map((x) => (x.metadata ? JSON.stringify(x.metadata) : null)))}::jsonb[],
                              ${p(this.requests.map((r) => r.idempotency?.key ?? null))}::varchar[])
              WITH ORDINALITY AS u(id, kind, amount, hold_id, job_id, prover_id, memo, metadata, idem, i)
         JOIN s USING (i)
         RETURNING 1),
       en AS (
         INSERT INTO entries (transfer_id, transfer_seq, leg, account_id, side, phase, amount, posted_debits_after,
                              posted_credits_after, pending_debits_after, pending_credits_after, version_after, hash)
         SELECT t, s.seq, l, a, sd, ph, am, pd, pc, nd, nc, v, decode(h, 'hex')
         FROM unnest(${p(e.map((x) => x.transfer.id))}::uuid[], ${p(e.map((x) => ordinal.get(x.transfer)))}::bigint[],
                     ${p(e.map((x) => x.leg))}::smallint[], ${p(e.map((x) => x.account))}::bigint[],
                     ${p(e.map((x) => x.side))}::char[], ${p(e.map((x) => x.phase))}::varchar[],
                     ${p(e.map((x) => x.amount.toString()))}::bigint[], ${p(e.map((x) => x.after[0].toString()))}::bigint[],
                     ${p(e.map((x) => x.after[1].toString()))}::bigint[], ${p(e.map((x) => x.after[2].toString()))}::bigint[],
                     ${p(e.map((x) => x.after[3].toString()))}::bigint[], ${p(e.map((x) => x.version!.toString()))}::bigint[],
                     ${p(e.map((x) => x.hash!.toString('hex')))}::text[])
              AS u(t, i, l, a, sd, ph, am, pd, pc, nd, nc, v, h)
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
         guard
           ? // Claimed here: a key already taken (a replay, or a request in flight elsewhere) is a conflict.
             `INSERT INTO idempotency_keys (scope, key, request_hash, status_code, transfer_id, error)
              SELECT * FROM unnest(${p(o.map((x) => x.scope))}::varchar[], ${p(o.map((x) => x.key))}::varchar[],
                                   ${p(o.map((x) => x.requestHash))}::varchar[], ${p(o.map((x) => x.status))}::int[],
                                   ${p(o.map((x) => x.transferId))}::uuid[], ${p(o.map((x) => x.error))}::jsonb[])
              ON CONFLICT DO NOTHING RETURNING 1`
           : `UPDATE idempotency_keys k SET status_code = u.st, transfer_id = u.t, error = u.e
              FROM unnest(${p(o.map((x) => x.scope))}::varchar[], ${p(o.map((x) => x.key))}::varchar[], ${p(o.map((x) => x.status))}::int[],
                          ${p(o.map((x) => x.transferId))}::uuid[], ${p(o.map((x) => x.error))}::jsonb[]) AS u(s, k2, st, t, e)
              WHERE k.scope = u.s AND k.key = u.k2 RETURNING 1`
       })
       SELECT (SELECT array_agg(seq::text ORDER BY i) FROM s) AS seqs, now() AS now,
              ${
                guard
                  ? `ledger_batch_current((SELECT count(*) FROM acc) = ${p(touched.length)}
                       AND (SELECT n FROM ro) = ${p(untouched.length)} AND (SELECT count(*) FROM ik) = ${p(o.length)})`
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
});

const EVENT_TYPES: Record<string, string> = {
  hold: 'HoldPlaced',
  capture: 'HoldCaptured',
  void: 'HoldVoided',
  expire: 'HoldExpired',
  mint: 'TransferPosted',
  spend: 'TransferPosted',
  reward: 'TransferPosted',
  refund: 'TransferPosted',
  transfer: 'TransferPosted',
};
