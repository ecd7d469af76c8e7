import { Injectable, Logger } from '@nestjs/common';
import { OutboxWriter, UnitOfWork } from '@tally/database';
import { Clock } from '@tally/shared';
import { type AccountRef, type PostingRequest, type PostingResult, refKey } from '../domain';
import { ACCOUNT_STATE_COLUMNS, AccountState, AccountStateRow, accountStateOf } from './account-locks';
import { BatchWriter } from './batch-writer';
import { RepeatedKeys } from './idempotency-claims';

/** The kinds whose legs name their accounts outright (no hold to lock and look up first). */
const LEG_KINDS: ReadonlySet<string> = new Set(['mint', 'spend', 'reward', 'refund', 'transfer']);
/** At most this many account states are kept; past it they are forgotten and read again as needed. */
const MAX_KNOWN = 100_000;

/**
 * Posts a batch in a single statement and round trip, without locking first, when the
 * accounts' states are already known to this process: the batch is computed from them, and
 * the statement applies it only if none of them has moved since (their versions), claiming
 * the idempotency keys in the same statement. A hot account is then locked only inside that
 * statement and its commit, never across a round trip to this (busy) process.
 *
 * The states are a cache this process keeps of the accounts it posts to, updated as each
 * batch is computed, so a batch sent while the previous one is in flight builds on it. Any
 * surprise (an account another process moved, a key already used, an account that does
 * not exist yet, a failed predecessor) makes `post` answer undefined, having written
 * nothing; the caller then posts the batch the locking way, which decides every case.
 */
@Injectable()
export class OptimisticPoster {
  private readonly logger = new Logger(OptimisticPoster.name);
  private readonly known = new Map<string, AccountState>();
  /** Batches written this way, and batches handed back to the locking way after a surprise. */
  readonly counts = { written: 0, fellBack: 0 };

  constructor(
    private readonly uow: UnitOfWork,
    private readonly outbox: OutboxWriter,
    private readonly clock: Clock,
  ) {}

  /** The answer of canTry for the list it was last asked about, and how much of the list it covers. */
  private asked?: { list: readonly PostingRequest[]; seen: number; can: boolean; keys: RepeatedKeys };

  /**
   * Whether `post` can take these requests at all (not holds; no key twice in the batch).
   * Asked again about the same list grown at its end (GroupCommit's waiting batch, on each
   * arrival), it looks only at the new requests.
   */
  canTry(requests: readonly PostingRequest[]): boolean {
    let a = this.asked;
    if (!a || a.list !== requests || requests.length < a.seen) {
      a = this.asked = { list: requests, seen: 0, can: true, keys: new RepeatedKeys() };
    }
    if (a.can && a.seen < requests.length) {
      const fresh = requests.slice(a.seen);
      a.can = fresh.every((r) => LEG_KINDS.has(r.kind)) && !a.keys.extend(requests, a.seen);
      a.seen = requests.length;
    }
    return a.can;
  }

  /** Forgets every state: another transaction of this process is moving accounts. */
  forgetAll(): void {
    this.known.clear();
  }

  async post(requests: PostingRequest[]): Promise<PostingResult[] | undefined> {
    if (!this.canTry(requests)) return undefined;
    const refs = new Map<string, AccountRef>();
    for (const r of requests) {
      if ('legs' in r) for (const l of r.legs) refs.set(refKey(l.account.kind, l.account.owner), l.account);
    }
    const unknown = [...refs].filter(([k]) => !this.known.has(k)).map(([, ref]) => ref);
    if (unknown.length > 0) {
      if (this.known.size + unknown.length > MAX_KNOWN) this.known.clear();
      await this.learn(unknown);
    }
    if ([...refs.keys()].some((k) => !this.known.has(k))) return undefined; // created by the locking path
    // Balance alerts are evaluated under the accounts' locks, in the locking way's transaction.
    if ([...refs.keys()].some((k) => this.known.get(k)!.hasAlerts)) return undefined;

    // This batch's own copies, and the versions it is computed from.
    const accounts = new Map<string, AccountState>();
    const byRef = new Map<string, string>();
    const versions = new Map<string, bigint>();
    for (const k of refs.keys()) {
      const a: AccountState = { ...this.known.get(k)!, touched: false };
      accounts.set(a.id, a);
      byRef.set(k, a.id);
      versions.set(a.id, a.version);
    }
    const batch = new BatchWriter();
    const state = { accounts, byRef, holds: new Map(), now: this.clock.now() };
    const results = requests.map((r): PostingResult => batch.post(r, state));
    // The next batch builds on this one, even before it commits.
    for (const a of accounts.values()) if (a.touched) this.known.set(refKey(a.kind, a.owner), { ...a });
    try {
      const { now, events } = await batch.write(this.uow.tx, accounts, { versions });
      if (now) for (const t of batch.transfers) t.created_at = now.toISOString();
      this.outbox.written(events); // one statement, committed: to the relay at once
      this.counts.written++;
      return results;
    } catch (error) {
      // Nothing was written; forget what this batch assumed (later batches built on it fail too).
      for (const k of refs.keys()) this.known.delete(k);
      this.counts.fellBack++;
      this.logger.debug(`optimistic batch of ${requests.length} fell back: ${String(error)}`);
      return undefined;
    }
  }

  /** Reads accounts as committed (no lock: the write checks their versions). */
  private async learn(refs: AccountRef[]): Promise<void> {
    const rows = await this.uow.prepared<AccountStateRow>(
      `SELECT ${ACCOUNT_STATE_COLUMNS}
       FROM unnest($1::varchar[], $2::varchar[]) AS u(kind, owner)
       JOIN accounts a ON a.kind = u.kind AND a.owner_id = u.owner AND a.currency = 'CREDIT'`,
      [refs.map((r) => r.kind), refs.map((r) => r.owner)],
    );
    for (const a of rows) this.known.set(refKey(a.kind, a.owner_id), accountStateOf(a));
  }
}
