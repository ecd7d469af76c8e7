import type { SchedulerConfig } from './scheduler-config';
import { WORKLOAD_FIELDS, type Workload, type WorkloadField } from './workload';

/** The floor of a weight: a prover with the worst score at full load still gets an (almost nil) share. */
export const MIN_WEIGHT = 1e-6;

export interface Weights {
  wScore: number;
  wLoad: number;
  /** w_cpu, w_ram, w_gpu, w_latency, w_io by workload field (0: the field is not weighed). */
  workload: Workload;
}

type ConfigWeights = Pick<SchedulerConfig, 'w_score' | 'w_load'> &
  Partial<Pick<SchedulerConfig, 'w_cpu' | 'w_ram' | 'w_gpu' | 'w_latency' | 'w_io'>>;

/** The config's decimal strings as numbers (exact for what WEIGHT_PATTERN admits, up to double rounding). */
export function weightsOf(config: ConfigWeights): Weights {
  const workload = {} as Workload;
  for (const field of WORKLOAD_FIELDS) workload[field] = Number(config[`w_${field}`] ?? '0');
  return { wScore: Number(config.w_score), wLoad: Number(config.w_load), workload };
}

/** Whether any workload weight is set (else the heartbeat figures are not read at all). */
export function weighsWorkload(weights: Weights): boolean {
  return WORKLOAD_FIELDS.some((field) => weights.workload[field] > 0);
}

/**
 * w = max(ε, w_score · score/100 + w_load · (1 − load_factor) + Σ w_f · n_f), with
 * score_value in [0, 100] and load_factor in [0, 1] as the database returns them (decimal
 * strings), and n_f the prover's normalised workload figure f in [0, 1] (see
 * normaliseWorkloads). A zero workload weight adds nothing, so with all of them zero the
 * weight is bit for bit what it was without them. Plain doubles: weights only steer the
 * hash and never touch money, and the same operations on the same inputs give the same
 * bits on every IEEE 754 machine.
 */
export function proverWeight(
  scoreValue: string | number,
  loadFactor: string | number,
  weights: Weights,
  workload?: Workload,
): number {
  const score = Math.min(100, Math.max(0, Number(scoreValue)));
  const load = Math.min(1, Math.max(0, Number(loadFactor)));
  let w = weights.wScore * (score / 100) + weights.wLoad * (1 - load);
  if (workload) {
    // In a fixed field order: the same sum in the same order gives the same bits.
    for (const field of WORKLOAD_FIELDS) {
      const wf = weights.workload[field];
      if (wf > 0) w += wf * workloadTerm(workload, field);
    }
  }
  return Number.isFinite(w) ? Math.max(MIN_WEIGHT, w) : MIN_WEIGHT;
}

function workloadTerm(workload: Workload, field: WorkloadField): number {
  const n = workload[field];
  return Number.isFinite(n) ? Math.min(1, Math.max(0, n)) : 0;
}
