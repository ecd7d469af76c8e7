import { hash } from 'node:crypto';

/** A prover that may take a job, with its weight (> 0) in the rendezvous draw. */
export interface WeightedCandidate {
  proverId: string;
  weight: number;
}

/** A candidate's place in the draw for one key: rank 1 is the first choice. */
export interface Placement extends WeightedCandidate {
  score: number;
  rank: number;
}

const TWO_POW_53 = 2 ** 53;
/** The largest double below 1: the only value (x + 0.5) / 2^53 can round past is 1 itself. */
const BELOW_ONE = 1 - 2 ** -53;

/**
 * The hash of (key, prover) as a number in (0, 1): the top 53 bits x of
 * SHA-256(key ‖ ":" ‖ proverId), as (x + 0.5) / 2^53. x is an exact double; the addition
 * rounds (IEEE 754, the same on every machine) and x = 2^53 − 1 would round to 1, so the
 * result is capped just below 1 (ln(h) must stay negative).
 */
export function rendezvousHash(key: string, proverId: string): number {
  const digest = hash('sha256', `${key}:${proverId}`, 'buffer');
  // The first 32 bits, then the next 21: an integer below 2^53, exact as a double.
  const x = digest.readUInt32BE(0) * 2 ** 21 + (digest.readUInt32BE(4) >>> 11);
  return Math.min((x + 0.5) / TWO_POW_53, BELOW_ONE);
}

/**
 * Weighted rendezvous score −w / ln(h): with h uniform in (0, 1) each prover wins a key with
 * probability w / Σw, and removing a prover only moves the keys it had won.
 */
export function rendezvousScore(weight: number, h: number): number {
  return -weight / Math.log(h);
}

function byRank(a: Placement, b: Placement): number {
  if (a.score !== b.score) return b.score - a.score;
  return a.proverId < b.proverId ? -1 : a.proverId > b.proverId ? 1 : 0;
}

/**
 * Every candidate ranked for `key`, best first: highest score, ties broken by prover id
 * ascending. A prover listed twice counts once, with its highest weight, so the result
 * depends only on the set of candidates, never on their order.
 */
export function rank(key: string, candidates: readonly WeightedCandidate[]): Placement[] {
  const weights = new Map<string, number>();
  for (const c of candidates) {
    if (!(c.weight > 0) || !Number.isFinite(c.weight)) {
      throw new RangeError(`the weight of ${c.proverId} must be a finite number > 0 (got ${c.weight})`);
    }
    const seen = weights.get(c.proverId);
    if (seen === undefined || c.weight > seen) weights.set(c.proverId, c.weight);
  }
  const placed: Placement[] = [];
  for (const [proverId, weight] of weights) {
    placed.push({ proverId, weight, score: rendezvousScore(weight, rendezvousHash(key, proverId)), rank: 0 });
  }
  placed.sort(byRank);
  placed.forEach((p, i) => (p.rank = i + 1));
  return placed;
}

/** The best `n` distinct candidates for `key` (fewer when there are fewer candidates). */
export function topN(key: string, candidates: readonly WeightedCandidate[], n: number): Placement[] {
  return rank(key, candidates).slice(0, Math.max(0, n));
}

/** The single best candidate for `key`, or undefined without candidates. */
export function pick(key: string, candidates: readonly WeightedCandidate[]): Placement | undefined {
  return topN(key, candidates, 1)[0];
}
