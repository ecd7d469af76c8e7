import { ASSIGNABLE_PROVER_STATE } from '@tally/provers';
import type { WeightedCandidate } from './rendezvous';
import { meetsRequirements, type ProverAttributes } from './requirements';
import { proverWeight, weighsWorkload, type Weights } from './weight';
import { normaliseWorkloads, type Workload, workloadOf } from './workload';

/** A prover row as the scheduler reads it, with its current load. */
export interface ProverSnapshot extends ProverAttributes {
  proverId: string;
  state: string;
  lastHeartbeat: Date | null;
  maxConcurrency: number;
  /** Replicas it holds (ASSIGNED or RUNNING) of jobs that have not settled. */
  activeJobs: number;
  /** EMA score as stored, a decimal string in [0, 100] (what the receipts record, with its version). */
  scoreValue: string;
  /** Self-reported load, a decimal string in [0, 1]. */
  loadFactor: string;
  /** Latency (ms) last reported in a heartbeat; null: never reported. */
  latencyMs: number | null;
  /** Its bonded stake in micros (absent: none). */
  bondedStakeMicros?: bigint;
}

/** A snapshot with the score its weight uses. */
export interface ScoredProver extends ProverSnapshot {
  /**
   * The score at the database clock of the read, idle decay included: the value GET
   * /v1/provers shows at that moment, as a number.
   */
  currentScore: number;
}

/** What a job asks of a prover. */
export interface JobNeeds {
  /** The job's own `requirements` (JSON object). */
  requirements: unknown;
  /** Its service's hardware requirements, when it names a service. */
  hardwareRequirements?: unknown;
  /** The bonded stake (micros) its service requires of a prover, when it names one that does. */
  minStakeMicros?: bigint | null;
  /** Provers already holding a replica of the job. */
  holders?: ReadonlySet<string>;
}

export interface Liveness {
  /** The database clock when the rows were read. */
  now: Date;
  ttlMs: number;
}

/** Heartbeat no older than the TTL (a prover that never sent one is not live). */
export function isLive(p: Pick<ProverSnapshot, 'lastHeartbeat'>, { now, ttlMs }: Liveness): boolean {
  return p.lastHeartbeat !== null && now.getTime() - p.lastHeartbeat.getTime() <= ttlMs;
}

/** Why a prover is not a candidate for a job, or null when it is one. */
export function exclusion(p: ProverSnapshot, job: JobNeeds, liveness: Liveness): string | null {
  if (p.state !== ASSIGNABLE_PROVER_STATE) return p.state;
  if (!isLive(p, liveness)) return 'not live';
  if (p.activeJobs >= p.maxConcurrency) return 'at max_concurrency';
  if (job.holders?.has(p.proverId)) return 'already holds a replica';
  if (!meetsRequirements(job.requirements, p)) return 'requirements not met';
  if (!meetsRequirements(job.hardwareRequirements, p)) return 'service hardware requirements not met';
  if (job.minStakeMicros != null && (p.bondedStakeMicros ?? 0n) < job.minStakeMicros) {
    return 'bonded stake below the service minimum';
  }
  return null;
}

/**
 * Each live assignable prover's workload figures, normalised over them all (the provers
 * a draw compares), by prover id. Read only when a workload weight is set.
 */
export function liveWorkloads(provers: readonly ScoredProver[], liveness: Liveness): Map<string, Workload> {
  const live = provers.filter((p) => p.state === ASSIGNABLE_PROVER_STATE && isLive(p, liveness));
  const normalised = normaliseWorkloads(live.map((p) => workloadOf(p)));
  return new Map(live.map((p, i) => [p.proverId, normalised[i]]));
}

/**
 * The provers that may take the job, with their rendezvous weights: active (not draining,
 * not offline), live, below max_concurrency, meeting the job's requirements and its
 * service's hardware requirements and minimum stake, not already holding a replica. A pure function of the
 * rows: their order does not matter (the draw sorts by score and prover id). With workload
 * weights set, the heartbeat figures are normalised over every live prover, not only the
 * job's candidates, so a prover's weight is the same for every job of a draw.
 */
export function candidatesFor(
  provers: readonly ScoredProver[],
  job: JobNeeds,
  liveness: Liveness,
  weights: Weights,
): WeightedCandidate[] {
  const workloads = weighsWorkload(weights) ? liveWorkloads(provers, liveness) : undefined;
  const out: WeightedCandidate[] = [];
  for (const p of provers) {
    if (exclusion(p, job, liveness) === null) {
      const weight = proverWeight(p.currentScore, p.loadFactor, weights, workloads?.get(p.proverId));
      out.push({ proverId: p.proverId, weight });
    }
  }
  return out;
}
