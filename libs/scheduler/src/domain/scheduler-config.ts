import { InvalidRequestError } from '@tally/shared';

/**
 * The scheduler's run-time settings, stored as JSON in `scheduler_config` (one row) and
 * edited with PUT /v1/scheduler/config. Weights are decimal strings so what an admin writes
 * is what every replica reads.
 */
export interface SchedulerConfig {
  /** Weight of the prover's EMA score (score_value / 100) in its rendezvous weight. */
  w_score: string;
  /** Weight of the prover's idle share (1 − load_factor). */
  w_load: string;
  /** Weight of the prover's free cores, normalised over the live provers (0: not weighed). */
  w_cpu: string;
  /** Weight of its free RAM, normalised likewise. */
  w_ram: string;
  /** Weight of its free GPU memory, normalised likewise. */
  w_gpu: string;
  /** Weight of its (inverted) latency, normalised likewise. */
  w_latency: string;
  /** Weight of its free storage IOPS, normalised likewise. */
  w_io: string;
  /** Overrides SCHEDULER_TICK_MS when set. */
  tick_interval_ms?: number;
}

export interface VersionedSchedulerConfig {
  config: SchedulerConfig;
  version: number;
  updatedAt: Date;
}

/** Up to 6 integer and 6 fractional digits, ≥ 0. */
export const WEIGHT_PATTERN = /^(0|[1-9]\d{0,5})(\.\d{1,6})?$/;
export const WEIGHT_MESSAGE = '$property must be a decimal string ≥ 0 with at most 6 integer and 6 fractional digits';
export const TICK_INTERVAL_MIN_MS = 10;
export const TICK_INTERVAL_MAX_MS = 60_000;

/** The workload weights, in the order the config and the weight list them. */
export const WORKLOAD_WEIGHTS = ['w_cpu', 'w_ram', 'w_gpu', 'w_latency', 'w_io'] as const;

export const DEFAULT_SCHEDULER_CONFIG: SchedulerConfig = {
  w_score: '1',
  w_load: '1',
  w_cpu: '0',
  w_ram: '0',
  w_gpu: '0',
  w_latency: '0',
  w_io: '0',
};

/** "1.50" → "1.5", "2.000" → "2". */
function canonical(value: string): string {
  return value.includes('.') ? value.replace(/0+$/, '').replace(/\.$/, '') : value;
}

function parseWeight(value: unknown, field: string): string {
  if (typeof value !== 'string' || !WEIGHT_PATTERN.test(value)) {
    throw new InvalidRequestError(
      `${field} must be a decimal string ≥ 0 with at most 6 integer and 6 fractional digits, like "1.5"`,
      { field },
    );
  }
  return canonical(value);
}

/**
 * Checks a whole configuration (from a request or from the table): every weight a valid
 * decimal string (a workload weight left out is 0, as in configs stored before they
 * existed), not all zero, the tick interval an integer in range. DSE-001 otherwise.
 */
export function parseSchedulerConfig(input: unknown): SchedulerConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidRequestError('the scheduler config must be a JSON object');
  }
  const raw = input as Record<string, unknown>;
  const config: SchedulerConfig = {
    w_score: parseWeight(raw.w_score, 'w_score'),
    w_load: parseWeight(raw.w_load, 'w_load'),
    w_cpu: '0',
    w_ram: '0',
    w_gpu: '0',
    w_latency: '0',
    w_io: '0',
  };
  for (const field of WORKLOAD_WEIGHTS) {
    if (raw[field] !== undefined) config[field] = parseWeight(raw[field], field);
  }
  if (config.w_score === '0' && config.w_load === '0' && WORKLOAD_WEIGHTS.every((f) => config[f] === '0')) {
    throw new InvalidRequestError('the weights cannot all be zero', { field: 'w_score' });
  }
  if (raw.tick_interval_ms !== undefined && raw.tick_interval_ms !== null) {
    const tick = raw.tick_interval_ms;
    if (
      typeof tick !== 'number' ||
      !Number.isInteger(tick) ||
      tick < TICK_INTERVAL_MIN_MS ||
      tick > TICK_INTERVAL_MAX_MS
    ) {
      throw new InvalidRequestError(
        `tick_interval_ms must be an integer from ${TICK_INTERVAL_MIN_MS} to ${TICK_INTERVAL_MAX_MS}`,
        { field: 'tick_interval_ms' },
      );
    }
    config.tick_interval_ms = tick;
  }
  return config;
}
