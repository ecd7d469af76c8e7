import Decimal from 'decimal.js';

/**
 * The prover scorecard's arithmetic: an exponential moving average of outcomes, with idle
 * decay toward the neutral score. Everything is decimal.js with a fixed precision and
 * every stored value is rounded half-even to SCORE_DECIMALS places, so the same events
 * give the same score on any machine (no binary floating point in any score stored,
 * shown or folded; only scoreNumberAt, for the scheduler's weights, estimates with a
 * double where that provably rounds the same).
 */
const D = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_EVEN, toExpNeg: -40, toExpPos: 40 });

/** ln 2 at the working precision, once: 0.5^x is computed as e^(−x·ln 2), a quarter of pow's cost. */
const LN2 = new D(2).ln();

/** Fractional digits of a stored score (the column is numeric(12, 6)). */
export const SCORE_DECIMALS = 6;
export const SCORE_MIN = '0';
export const SCORE_MAX = '100';
/** Where new provers start and where idle scores decay to. */
export const NEUTRAL_SCORE = '50';
/** The outcome value the EMA moves toward: 100 for a success, 0 for a failure. */
export const OUTCOME_VALUE = { success: '100', failure: '0' } as const;

export type Outcome = keyof typeof OUTCOME_VALUE;

export interface ScoreSettings {
  /** The weight of the newest outcome, a decimal string in (0, 1]. */
  alpha: string;
  /** Idle decay half-life in ms; 0 means no decay. */
  decayHalfLifeMs: number;
  /** A prover scored less than this long ago (ms) is active: its score is the plain EMA. 0: idle at once. */
  idleAfterMs: number;
}

export type DecaySettings = Pick<ScoreSettings, 'decayHalfLifeMs' | 'idleAfterMs'>;

/** A score as the numeric(12, 6) column returns it. */
export const STORED_SCORE = /^\d{1,3}(\.\d{1,6})?$/;

/** Rounds to the stored scale and clamps to [0, 100]; returns the canonical decimal string. */
export function normalizeScore(value: Decimal.Value): string {
  const v = new D(value).toDecimalPlaces(SCORE_DECIMALS, Decimal.ROUND_HALF_EVEN);
  return D.min(D.max(v, SCORE_MIN), SCORE_MAX).toFixed();
}

function checkAlpha(alpha: string): Decimal {
  const a = new D(alpha);
  if (!a.isFinite() || a.lte(0) || a.gt(1)) throw new RangeError(`alpha must be in (0, 1], got ${alpha}`);
  return a;
}

/** One EMA step: score' = α·outcome + (1 − α)·score, rounded half-even to 6 places, in [0, 100]. */
export function emaStep(score: string, outcome: Outcome, alpha: string): string {
  const a = checkAlpha(alpha);
  const next = a.times(OUTCOME_VALUE[outcome]).plus(new D(1).minus(a).times(score));
  return normalizeScore(next);
}

/** Folds outcomes into a score, in order. */
export function foldOutcomes(score: string, outcomes: readonly Outcome[], alpha: string): string {
  return outcomes.reduce((s, o) => emaStep(s, o, alpha), normalizeScore(score));
}

/**
 * Applies a score event's deltas: its successes first, then its failures (a fixed order,
 * so an event with both always gives the same score).
 */
export function applyDeltas(score: string, deltaSuccess: number, deltaFailure: number, alpha: string): string {
  if (
    !Number.isSafeInteger(deltaSuccess) ||
    !Number.isSafeInteger(deltaFailure) ||
    deltaSuccess < 0 ||
    deltaFailure < 0
  ) {
    throw new RangeError('score deltas must be non-negative integers');
  }
  const outcomes: Outcome[] = [
    ...Array<Outcome>(deltaSuccess).fill('success'),
    ...Array<Outcome>(deltaFailure).fill('failure'),
  ];
  return foldOutcomes(score, outcomes, alpha);
}

/**
 * When a prover scored at `lastScoredAt` becomes idle (and its score starts to decay):
 * idleAfterMs later; null for a prover never scored (it stays at its starting score).
 */
export function idleSince(lastScoredAt: Date | null, idleAfterMs: number): Date | null {
  return lastScoredAt && new Date(lastScoredAt.getTime() + idleAfterMs);
}

/**
 * Decay toward 50 from `from` (when the prover became idle): score_at(t) = 50 + (score −
 * 50)·0.5^(Δt / half_life), Δt = t − from (never negative: before `from`, no decay).
 * Deterministic given the two timestamps.
 */
export function decayScore(score: string, from: Date | null, at: Date, halfLifeMs: number): string {
  if (!from || halfLifeMs <= 0) return normalizeScore(score);
  const elapsed = at.getTime() - from.getTime();
  if (!(elapsed > 0)) return normalizeScore(score);
  const factor = new D(elapsed).div(halfLifeMs).times(LN2).neg().exp();
  return normalizeScore(new D(score).minus(NEUTRAL_SCORE).times(factor).plus(NEUTRAL_SCORE));
}

/**
 * A scorecard's score at `at`: while active (scored within idleAfterMs) the stored EMA
 * score exactly; once idle, decayed from the moment it became idle, so the value is
 * continuous in time. What GET /v1/provers shows, what the scheduler weighs, and what
 * the next outcome is folded into.
 */
export function scoreAt(card: { score: string; lastScoredAt: Date | null }, at: Date, s: DecaySettings): string {
  return decayScore(card.score, idleSince(card.lastScoredAt, s.idleAfterMs), at, s.decayHalfLifeMs);
}

/**
 * Number(scoreAt(card, at, s)), exactly, for the scheduler's weights (plain doubles),
 * without decimal.js's exp (about 0.2 ms) for each idle prover on every tick. The double
 * estimate's error is below 1e-10; unless it falls within 1e-9 of a rounding tie of the
 * sixth decimal, it rounds to the micro-unit decimal.js rounds to, and micros / 1e6 is
 * the double the decimal string parses to. Near a tie, the exact computation decides.
 */
export function scoreNumberAt(card: { score: string; lastScoredAt: Date | null }, at: Date, s: DecaySettings): number {
  const from = idleSince(card.lastScoredAt, s.idleAfterMs);
  const elapsed = from ? at.getTime() - from.getTime() : 0;
  const score = Number(card.score);
  const stored = STORED_SCORE.test(card.score) && score <= 100; // already what normalizeScore would give
  if (!(elapsed > 0) || s.decayHalfLifeMs <= 0) return stored ? score : Number(normalizeScore(card.score));
  if (stored) {
    const micros = (50 + (score - 50) * Math.pow(2, -elapsed / s.decayHalfLifeMs)) * 1e6;
    if (Math.abs(micros - Math.floor(micros) - 0.5) > 1e-3) return Math.round(micros) / 1e6;
  }
  return Number(scoreAt(card, at, s));
}

/** The score after an event at `at`: the score at that moment (idle decay included), then the event's outcomes. */
export function nextScore(
  current: { score: string; lastScoredAt: Date | null },
  delta: { success: number; failure: number },
  at: Date,
  settings: ScoreSettings,
): string {
  return applyDeltas(scoreAt(current, at, settings), delta.success, delta.failure, settings.alpha);
}

/** A prover's scorecard as stored. */
export interface Scorecard {
  version: number;
  score: string;
  lastScoredAt: Date | null;
}

/**
 * Applies a score event to the scorecard it meets, by the persistor's optimistic rule: an
 * event computed from this very version is applied with the score it carries; one
 * computed from another version lost a race, and its score is recomputed from this
 * scorecard (its score at emitted_at, then its deltas). Returns the next scorecard and
 * whether the event had to be recomputed.
 */
export function applyScoreEvent(
  card: Scorecard,
  event: {
    expected_version: number;
    new_score_value: string;
    delta_success: number;
    delta_failure: number;
    emitted_at: string;
  },
  settings: ScoreSettings,
): { card: Scorecard; recomputed: boolean } {
  const scoredAt = new Date(event.emitted_at);
  const recomputed = event.expected_version !== card.version;
  const score = recomputed
    ? nextScore(card, { success: event.delta_success, failure: event.delta_failure }, scoredAt, settings)
    : normalizeScore(event.new_score_value);
  const lastScoredAt = card.lastScoredAt && card.lastScoredAt > scoredAt ? card.lastScoredAt : scoredAt;
  return { card: { version: card.version + 1, score, lastScoredAt }, recomputed };
}
