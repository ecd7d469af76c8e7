import type { SchedulerConfig } from './scheduler-config';

/** The floor of a weight: a prover with the worst score at full load still gets an (almost nil) share. */
export const MIN_WEIGHT = 1e-6;

export interface Weights {
  wScore: number;
  wLoad: number;
}

/** The config's decimal strings as numbers (exact for what WEIGHT_PATTERN admits, up to double rounding). */
export function weightsOf(config: Pick<SchedulerConfig, 'w_score' | 'w_load'>): Weights {
  return { wScore: Number(config.w_score), wLoad: Number(config.w_load) };
}

/**
 * w = max(ε, w_score · score/100 + w_load · (1 − load_factor)), with score_value in [0, 100]
 * and load_factor in [0, 1] as the database returns them (decimal strings). Plain doubles:
 * weights only steer the hash and never touch money, and the same operations on the same
 * inputs give the same bits on every IEEE 754 machine.
 */
export function proverWeight(scoreValue: string | number, loadFactor: string | number, weights: Weights): number {
  const score = Math.min(100, Math.max(0, Number(scoreValue)));
  const load = Math.min(1, Math.max(0, Number(loadFactor)));
  const w = weights.wScore * (score / 100) + weights.wLoad * (1 - load);
  return Number.isFinite(w) ? Math.max(MIN_WEIGHT, w) : MIN_WEIGHT;
}
