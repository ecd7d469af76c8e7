import { INT64_MAX } from '@tally/shared';
import { type AccountCounters, type AccountKind, type AccountRef, refKey, RESERVED_KINDS } from './account';
import { type LedgerRejection, rejection, UNBALANCED_DETAIL } from './ledger-rejection';
import { STAKE_ONLY_DETAIL, stakeRefusal } from './stake-rules';
import type { Phase, PostingRequest, Side } from './transfer';

/**
 * The ledger's money rules, in one place and free of any database: whether a posting may
 * happen against the accounts and holds as they stand, and what it does to them.
 */

/** An account as the rules see it: its kind, currency, whether it may go negative, and its counters. */
export interface LedgerAccount extends AccountCounters {
  id: string;
  kind: AccountKind;
  owner: string;
  currency: string;
  allowNegative: boolean;
}

export const HOLD_STATUSES = ['pending', 'captured', 'voided', 'expired'] as const;
export type HoldStatus = (typeof HOLD_STATUSES)[number];

export interface HoldState {
  id: string;
  /** The account held from (its pending debits) and the one credited pending (escrow). */
  debit: string;
  credit: string;
  amount: bigint;
  status: HoldStatus;
  expiresAt: Date | null;
}

/** What the rules decide against: accounts by id (and by `kind/owner`), holds by id, and the time. */
export interface LedgerState<A extends LedgerAccount = LedgerAccount> {
  accounts: Map<string, A>;
  byRef: Map<string, string>;
  holds: Map<string, HoldState>;
  now: Date;
  /** The time of the last imported transfer, where the batch imports any (they go in order). */
  importedUntil?: Date | null;
}

/** One leg as applied: the account it moved and that account's counters right after it. */
export interface AppliedLeg {
  account: string;
  side: Side;
  phase: Phase;
  amount: bigint;
  after: AccountCounters;
}

export interface AcceptedPosting {
  /** The transfer's amount: what a capture captures, what a hold holds, else the sum of its debits. */
  amount: bigint;
  holdId: string | null;
  legs: AppliedLeg[];
  /** A hold this posting placed, or the hold it resolved (with what it captured). */
  placedHold?: HoldState;
  resolvedHold?: { hold: HoldState; captured: bigint };
}

export type PostingDecision = { accepted: AcceptedPosting } | { rejected: LedgerRejection };

/** Whether a capture (or a job's final cost) of `amount` fits within the `held` amount. */
export const withinHold = (amount: bigint, held: bigint): boolean => amount <= held;

/**
 * Every transfer balances: per currency and phase, its debits equal its credits, and it moves
 * something. Legs without a currency (not resolved to accounts yet) count as one currency.
 */
export function isBalanced(legs: readonly { side: Side; phase?: Phase; amount: bigint; currency?: string }[]): boolean {
  const net = new Map<string, bigint>();
  let moved = 0n;
  for (const l of legs) {
    const group = `${l.currency ?? ''}|${l.phase ?? 'posted'}`;
    net.set(group, (net.get(group) ?? 0n) + (l.side === 'D' ? l.amount : -l.amount));
    if (l.side === 'D') moved += l.amount;
  }
  return moved > 0n && [...net.values()].every((n) => n === 0n);
}

/** The change a leg makes to its account's available balance (credits − debits − pending debits). */
function availableChange(l: { side: Side; phase: Phase; amount: bigint }): bigint {
  if (l.phase === 'posted') return l.side === 'C' ? l.amount : -l.amount;
  if (l.side === 'C') return 0n; // pending credits are incoming, not available
  return l.phase === 'pending' ? -l.amount : l.amount;
}

/** Moves the one counter a leg moves (posted or pending, debit or credit). */
export function moveCounters(c: AccountCounters, l: { side: Side; phase: Phase; amount: bigint }): void {
  if (l.phase === 'posted') {
    if (l.side === 'D') c.postedDebits += l.amount;
    else c.postedCredits += l.amount;
    return;
  }
  const by = l.phase === 'release' ? -l.amount : l.amount;
  if (l.side === 'D') c.pendingDebits += by;
  else c.pendingCredits += by;
}

const countersOf = (c: AccountCounters): AccountCounters => ({
  postedDebits: c.postedDebits,
  postedCredits: c.postedCredits,
  pendingDebits: c.pendingDebits,
  pendingCredits: c.pendingCredits,
});

type UnresolvedLeg = { ref?: AccountRef; account?: string; side: Side; phase: Phase; amount: bigint };

/**
 * Decides one request against `state` and, if it is accepted, applies it there (counters and
 * holds move), so the next request is decided against the state this one left.
 */
export function decidePosting<A extends LedgerAccount>(r: PostingRequest, state: LedgerState<A>): PostingDecision {
  const { accounts, byRef, holds } = state;
  if (r.createdAt && state.importedUntil && r.createdAt < state.importedUntil) {
    const last = state.importedUntil.toISOString();
    return {
      rejected: rejection('import-out-of-order', `created_at is earlier than the last imported transfer's (${last})`),
    };
  }
  let legs: UnresolvedLeg[];
  let hold: HoldState | undefined;
  if (r.kind === 'capture' || r.kind === 'void' || r.kind === 'expire') {
    hold = holds.get(r.holdId);
    if (!hold) return { rejected: rejection('unknown-hold', `no hold ${r.holdId}`) };
    if (hold.status !== 'pending') return { rejected: rejection('hold-not-open', `hold is already ${hold.status}`) };
    if (r.kind === 'capture' && hold.expiresAt && hold.expiresAt <= state.now) {
      return { rejected: rejection('hold-expired', 'hold has expired') };
    }
    if (r.kind === 'capture' && !withinHold(r.amount, hold.amount)) {
      return { rejected: rejection('capture-exceeds-hold', 'capture exceeds the held amount') };
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
    throw new Error(`unknown posting kind ${(r as PostingRequest).kind}`);
  }

  const missing = legs.filter((l) => !l.account && !byRef.has(refKey(l.ref!.kind, l.ref!.owner)));
  if (missing.length > 0) {
    const names = [...new Set(missing.map((l) => refKey(l.ref!.kind, l.ref!.owner)))].join(', ');
    return { rejected: rejection('unknown-account', `no such account: ${names}`) };
  }
  const resolved = legs.map((l) => ({
    account: l.account ?? byRef.get(refKey(l.ref!.kind, l.ref!.owner))!,
    side: l.side,
    phase: l.phase,
    amount: l.amount,
  }));
  // A reserved account takes part only in its own use case, and a stake movement only in its own shapes.
  const reserved = resolved
    .map((l) => accounts.get(l.account)!)
    .find((a) => RESERVED_KINDS[a.kind] !== undefined && RESERVED_KINDS[a.kind] !== r.purpose);
  if (reserved) {
    return { rejected: rejection('reserved-account', reservedDetail(reserved.kind)) };
  }
  const stake = stakeRefusal(
    r,
    resolved.map((l) => ({ ...l, kind: accounts.get(l.account)!.kind, owner: accounts.get(l.account)!.owner })),
  );
  if (stake) return { rejected: stake };
  if (!isBalanced(resolved.map((l) => ({ ...l, currency: accounts.get(l.account)!.currency })))) {
    return { rejected: rejection('unbalanced', UNBALANCED_DETAIL) };
  }

  // Overdraft: refused on the net change of each account's available balance, before anything moves.
  const change = new Map<string, bigint>();
  for (const l of resolved) change.set(l.account, (change.get(l.account) ?? 0n) + availableChange(l));
  const short = [...change].filter(([id, by]) => {
    const a = accounts.get(id)!;
    return by < 0n && !a.allowNegative && a.postedCredits - a.postedDebits - a.pendingDebits + by < 0n;
  });
  if (short.length > 0) {
    const names = short.map(([id]) => nameOf(accounts.get(id)!)).join(', ');
    return { rejected: rejection('insufficient-credits', `insufficient credits in ${names}`) };
  }

  const amount =
    r.kind === 'capture'
      ? r.amount
      : hold
        ? hold.amount
        : resolved.filter((l) => l.side === 'D').reduce((s, l) => s + l.amount, 0n);
  // Amounts and every account's running counters are BIGINT micros: nothing may leave int64.
  if (amount > INT64_MAX) {
    return { rejected: rejection('beyond-int64', 'the transfer amount is beyond the int64 range') };
  }
  const after = new Map<string, AccountCounters>();
  for (const l of resolved) {
    const c = after.get(l.account) ?? countersOf(accounts.get(l.account)!);
    moveCounters(c, l);
    after.set(l.account, c);
  }
  const beyond = [...after].filter(([, c]) => Object.values(c).some((v: bigint) => v > INT64_MAX));
  if (beyond.length > 0) {
    const names = beyond.map(([id]) => nameOf(accounts.get(id)!)).join(', ');
    return {
      rejected: rejection('beyond-int64', `the transfer would take the totals of ${names} beyond the int64 range`),
    };
  }

  const applied: AppliedLeg[] = resolved.map((l) => {
    const a = accounts.get(l.account)!;
    moveCounters(a, l);
    return { ...l, after: countersOf(a) };
  });
  if (r.createdAt) state.importedUntil = r.createdAt;
  const accepted: AcceptedPosting = { amount, holdId: hold?.id ?? (r.kind === 'hold' ? r.id : null), legs: applied };
  if (r.kind === 'hold') {
    const placed: HoldState = {
      id: r.id,
      debit: resolved[0].account,
      credit: resolved[1].account,
      amount: r.amount,
      status: 'pending',
      expiresAt: r.expiresAt ?? null,
    };
    holds.set(r.id, placed);
    accepted.placedHold = placed;
  } else if (hold) {
    hold.status = r.kind === 'capture' ? 'captured' : r.kind === 'void' ? 'voided' : 'expired';
    accepted.resolvedHold = { hold, captured: r.kind === 'capture' ? r.amount : 0n };
  }
  return { accepted };
}

/** Decides a batch in order: request n is decided against the state requests 1..n-1 left. */
export function decidePostings<A extends LedgerAccount>(
  requests: readonly PostingRequest[],
  state: LedgerState<A>,
): PostingDecision[] {
  return requests.map((r) => decidePosting(r, state));
}

const nameOf = (a: LedgerAccount) => refKey(a.kind, a.owner);

/** Why a posting may not move a reserved account, naming the one way it moves. */
export function reservedDetail(kind: AccountKind): string {
  if (kind === 'stake') return STAKE_ONLY_DETAIL;
  return `the ${kind} account moves only by a payout (POST /v1/provers/{id}/payouts and its confirm or fail)`;
}
