import { type AccountKind, providerAccount, stakeAccount } from './account';
import { type LedgerRejection, rejection } from './ledger-rejection';
import { type Phase, type PostingRequest, type Side, simpleLegs } from './transfer';

/**
 * A prover's stake: credits it bonded from its provider account into a `stake` account of its
 * own (owner = prover id). Only three movements touch a stake account, each asked for by the
 * stake routes or the unbonding sweep (purpose `staking`, a reserved kind: see RESERVED_KINDS), never by a client's or an
 * admin's transfer, hold, capture or batch item:
 *
 * - bond: a `stake` transfer, provider(p) → stake(p), posted;
 * - unbond: a hold from stake(p) to provider(p), without expiry (the credits stay locked and
 *   are no longer bonded);
 * - release: the capture of the whole of such a hold into provider(p), once unbonding is over.
 *
 * An unbonding hold is never voided or expired: it ends only by its release.
 */

/** A leg as the rule sees it: its account's kind and owner. */
export interface StakeLeg {
  kind: AccountKind;
  owner: string;
  side: Side;
  phase: Phase;
  amount: bigint;
}

export const STAKE_ONLY_DETAIL =
  "a stake account is moved only by its prover's stake and unstake (and the release of an unbonding)";

const refused = (detail = STAKE_ONLY_DETAIL): LedgerRejection => rejection('stake-account', detail);

const is = (l: StakeLeg | undefined, kind: AccountKind, side: Side, phase: Phase) =>
  l !== undefined && l.kind === kind && l.side === side && l.phase === phase;

/** Why the ledger refuses `r` as a movement of a stake account, or undefined if it may post (as far as stake goes). */
export function stakeRefusal(r: PostingRequest, legs: readonly StakeLeg[]): LedgerRejection | undefined {
  const touches = legs.some((l) => l.kind === 'stake');
  if (!touches && r.kind !== 'stake') return undefined;
  if (r.purpose !== 'staking') return refused();
  const sameOwner = legs.every((l) => l.owner === legs[0].owner);
  const [a, b, c, d] = legs;
  switch (r.kind) {
    case 'stake':
      return legs.length === 2 && sameOwner && is(a, 'provider', 'D', 'posted') && is(b, 'stake', 'C', 'posted')
        ? undefined
        : refused('a bond moves credits from a provider account into the stake account of the same prover');
    case 'hold':
      return legs.length === 2 && sameOwner && is(a, 'stake', 'D', 'pending') && is(b, 'provider', 'C', 'pending')
        ? undefined
        : refused('an unbonding holds credits of a stake account for the provider account of the same prover');
    case 'capture':
      return legs.length === 4 &&
        sameOwner &&
        is(a, 'stake', 'D', 'release') &&
        is(b, 'provider', 'C', 'release') &&
        is(c, 'stake', 'D', 'posted') &&
        is(d, 'provider', 'C', 'posted') &&
        c.amount === a.amount
        ? undefined
        : refused('an unbonding is released whole into the provider account of the same prover');
    default:
      return refused();
  }
}

/** The metadata key of an unbonding hold that says when it is released. */
export const UNBONDS_AT = 'unbonds_at';

/** When an unbonding asked for at `now` is released: `seconds` (STAKE_UNBONDING_SECONDS) later. */
export const unbondsAt = (now: Date, seconds: number): Date => new Date(now.getTime() + seconds * 1000);

/** Bond `amount` micros of prover `proverId`'s provider credits into its stake. */
export function bondRequest(id: string, proverId: string, amount: bigint): PostingRequest {
  return {
    id,
    kind: 'stake',
    purpose: 'staking',
    proverId,
    legs: simpleLegs(providerAccount(proverId), stakeAccount(proverId), amount),
  };
}

/** Start unbonding `amount` micros of the prover's stake: held for its provider account until `until`. */
export function unbondRequest(id: string, proverId: string, amount: bigint, until: Date): PostingRequest {
  return {
    id,
    kind: 'hold',
    purpose: 'staking',
    proverId,
    from: stakeAccount(proverId),
    to: providerAccount(proverId),
    amount,
    metadata: { [UNBONDS_AT]: until.toISOString() },
  };
}

/** Release an unbonding hold whole into the prover's provider account (the sweep, once it is due). */
export function releaseRequest(id: string, holdId: string, proverId: string, amount: bigint): PostingRequest {
  return { id, kind: 'capture', purpose: 'staking', proverId, holdId, amount, to: providerAccount(proverId) };
}
