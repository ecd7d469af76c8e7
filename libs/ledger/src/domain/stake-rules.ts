import { type AccountKind, PLATFORM, providerAccount, stakeAccount, userAccount } from './account';
import { type LedgerRejection, rejection } from './ledger-rejection';
import { type Leg, type Phase, type PostingRequest, type Side, simpleLegs } from './transfer';

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
 *
 * And one more, asked for by a job's settlement (purpose `staking` too):
 *
 * - slash: a `slash` transfer, stake(p) → the job's client (its compensation, first) and the
 *   platform (the rest), posted; see planSlashes for the amounts.
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
  if (!touches && r.kind !== 'stake' && r.kind !== 'slash') return undefined;
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
    case 'slash':
      return is(a, 'stake', 'D', 'posted') &&
        a.owner === r.proverId &&
        legs.length >= 2 &&
        legs.length <= 3 &&
        legs.slice(1).every((l) => l.side === 'C' && l.phase === 'posted' && l.amount > 0n) &&
        legs.slice(1).filter((l) => l.kind === 'user').length <= 1 &&
        legs.slice(1).filter((l) => l.kind === 'platform').length <= 1 &&
        legs.slice(1).every((l) => l.kind === 'user' || l.kind === 'platform')
        ? undefined
        : refused("a slash moves credits from a prover's stake to the job's client and the platform");
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

/**
 * Why a prover is slashed: its replica reported a result the majority rejected, it went
 * silent holding the job, or the job it was rewarded for was lost in a dispute.
 */
export type SlashReason = 'dissent' | 'timeout' | 'dispute';

/** A service's slashing terms: basis points of the bonded stake per reason (0: none), and a cap on one slash. */
export interface SlashTerms {
  dissentBps: bigint;
  timeoutBps: bigint;
  disputeBps: bigint;
  /** The most one slash takes, in micros; null: no cap. */
  capMicros: bigint | null;
}

/** One slash as decided: what it takes from the prover's stake, and where that goes. */
export interface Slash {
  proverId: string;
  reason: SlashReason;
  slashed: bigint;
  toClient: bigint;
  toPlatform: bigint;
}

const BPS = 10_000n;

/** What one slash takes: bps of the bonded stake, rounded down, at most the cap (0 with nothing bonded). */
export function slashAmount(bonded: bigint, bps: bigint, capMicros: bigint | null): bigint {
  if (bonded <= 0n || bps <= 0n) return 0n;
  const amount = (bonded * bps) / BPS;
  return capMicros !== null && amount > capMicros ? capMicros : amount;
}

/**
 * The slashes of one job's settlement, in the order given: each prover loses its terms' share
 * of what is bonded now (slashAmount); the client is compensated first, slash after slash,
 * until `compensationCap` is reached, and the rest of each goes to the platform. A prover
 * with nothing to lose (nothing bonded, 0 bps, a cap of 0) is left out: no zero posting.
 */
export function planSlashes(
  offenders: { proverId: string; reason: SlashReason; bonded: bigint }[],
  terms: SlashTerms,
  compensationCap: bigint,
): Slash[] {
  let owed = compensationCap > 0n ? compensationCap : 0n;
  const out: Slash[] = [];
  for (const { proverId, reason, bonded } of offenders) {
    const slashed = slashAmount(bonded, bpsFor(reason, terms), terms.capMicros);
    if (slashed === 0n) continue;
    const toClient = slashed < owed ? slashed : owed;
    owed -= toClient;
    out.push({ proverId, reason, slashed, toClient, toPlatform: slashed - toClient });
  }
  return out;
}

function bpsFor(reason: SlashReason, terms: SlashTerms): bigint {
  if (reason === 'dissent') return terms.dissentBps;
  return reason === 'timeout' ? terms.timeoutBps : terms.disputeBps;
}

/** A slash as a posting: stake(p) debited, the client and the platform credited (a zero part has no leg). */
export function slashRequest(id: string, jobId: string, clientId: string, slash: Slash): PostingRequest {
  const legs: Leg[] = [{ account: stakeAccount(slash.proverId), side: 'D', amount: slash.slashed }];
  if (slash.toClient > 0n) legs.push({ account: userAccount(clientId), side: 'C', amount: slash.toClient });
  if (slash.toPlatform > 0n) legs.push({ account: PLATFORM, side: 'C', amount: slash.toPlatform });
  return {
    id,
    kind: 'slash',
    purpose: 'staking',
    jobId,
    proverId: slash.proverId,
    legs,
    metadata: { reason: slash.reason },
  };
}
