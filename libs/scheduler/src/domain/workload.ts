import { isJsonObject } from '@tally/shared';

/** The heartbeat figures the workload weights read (see workloadOf). */
export const WORKLOAD_FIELDS = ['cpu', 'ram', 'gpu', 'latency', 'io'] as const;
export type WorkloadField = (typeof WORKLOAD_FIELDS)[number];
export type Workload = Record<WorkloadField, number>;

/** The one field where less is better (it is inverted when normalised). */
const LOWER_IS_BETTER: ReadonlySet<WorkloadField> = new Set(['latency']);
/** A reported latency of 0 ms counts as 1 ms: the inverted latency needs a positive value. */
const MIN_LATENCY_MS = 1;

/** What a prover reports: its registered (or last heartbeat's) profile, its load and its last reported latency. */
export interface WorkloadSource {
  hardwareProfile: Record<string, unknown>;
  loadFactor: string | number;
  /** ms, as last reported in a heartbeat; null: never reported. */
  latencyMs: number | null;
}

function figure(profile: Record<string, unknown>, key: string): number {
  const value = Object.prototype.hasOwnProperty.call(profile, key) ? profile[key] : undefined;
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}

/**
 * A prover's raw workload figures. A heartbeat carries the hardware profile and one
 * load_factor, not per-resource usage, so what is free is the profile times the idle share
 * (1 − load_factor): free cores = cpu_cores·idle, free RAM = ram_gb·idle, free GPU memory =
 * gpu_memory_gb·idle (0 without a GPU), free IOPS = storage_iops·idle. Latency is the
 * heartbeat's latency_ms (at least 1 ms); a prover that never reported one has Infinity,
 * which normalises to 0 on that field.
 */
export function workloadOf(p: WorkloadSource): Workload {
  const profile = isJsonObject(p.hardwareProfile) ? p.hardwareProfile : {};
  const load = Number(p.loadFactor);
  const idle = Number.isFinite(load) ? 1 - Math.min(1, Math.max(0, load)) : 0;
  const latency = p.latencyMs !== null && Number.isFinite(p.latencyMs) ? p.latencyMs : Infinity;
  return {
    cpu: figure(profile, 'cpu_cores') * idle,
    ram: figure(profile, 'ram_gb') * idle,
    gpu: figure(profile, 'gpu_count') > 0 ? figure(profile, 'gpu_memory_gb') * idle : 0,
    latency: Math.max(MIN_LATENCY_MS, latency),
    io: figure(profile, 'storage_iops') * idle,
  };
}

/**
 * Each field scaled to [0, 1] over the given provers: value / max for the fields where more
 * is better, min / value for latency (the quickest gets 1). A field nobody has (max 0) is 0
 * for all, as is latency for a prover that never reported one (Infinity). Scaling a field by the same factor on every prover leaves the result unchanged
 * (up to double rounding; exactly for powers of two).
 */
export function normaliseWorkloads(raw: readonly Workload[]): Workload[] {
  const best = {} as Workload;
  for (const field of WORKLOAD_FIELDS) {
    const values = raw.map((w) => w[field]).filter(Number.isFinite);
    best[field] = LOWER_IS_BETTER.has(field)
      ? values.reduce((a, b) => Math.min(a, b), Infinity)
      : values.reduce((a, b) => Math.max(a, b), 0);
  }
  return raw.map((w) => {
    const out = {} as Workload;
    for (const field of WORKLOAD_FIELDS) {
      const value = w[field];
      const b = best[field];
      if (LOWER_IS_BETTER.has(field)) out[field] = Number.isFinite(b) && Number.isFinite(value) ? b / value : 0;
      else out[field] = b > 0 && Number.isFinite(value) ? value / b : 0;
    }
    return out;
  });
}
