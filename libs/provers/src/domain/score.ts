import Decimal from 'decimal.js';

/**
 * The prover scorecard's arithmetic: an exponential moving average of outcomes, with idle
 * decay toward the neutral score. Everything is decimal.js with a fixed precision and
 * every stored value is rounded half-even to SCORE_DECIMALS places, so the same events
 * give the same score on any machine (no binary floating point anywhere).
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
}

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
 * Idle decay toward 50: score_at(t) = 50 + (score − 50)·0.5^(Δt / half_life), Δt from the
 * last scored time (never negative: a clock behind the last score means no decay).
 * Deterministic given the two timestamps.
 */
export function decayScore(score: string, lastScoredAt: Date | null, at: Date, halfLifeMs: number): string {
  if (!lastScoredAt || halfLifeMs <= 0) return normalizeScore(score);
  const elapsed = at.getTime() - lastScoredAt.getTime();
  if (!(elapsed > 0)) return normalizeScore(score);
  const factor = new D(elapsed).div(halfLifeMs).times(LN2).neg().exp();
  return normalizeScore(new D(score).minus(NEUTRAL_SCORE).times(factor).plus(NEUTRAL_SCORE));
}

/** The score after an event at `at`: decay since the last score, then the event's outcomes. */
export function nextScore(
  current: { score: string; lastScoredAt: Date | null },
  delta: { success: number; failure: number },
  at: Date,
  settings: ScoreSettings,
): string {
  const decayed = decayScore(current.score, current.lastScoredAt, at, settings.decayHalfLifeMs);
  return applyDeltas(decayed, delta.success, delta.failure, settings.alpha);
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
 * scorecard (decay to its emitted_at, then its deltas). Returns the next scorecard and
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
