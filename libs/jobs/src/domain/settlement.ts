import { REPLICA_MOVES } from './job-status';

/** Basis points in a whole. */
const BPS = 10_000n;

export interface RewardSplit {
  /** What each rewarded prover receives. */
  perProver: bigint;
  /** What the platform keeps: its fee plus the remainder of the division. */
  platformKeeps: bigint;
}

/**
 * Splits a captured cost: the provers' pool is cost × (1 − fee), in equal integer shares;
 * whatever does not divide evenly stays with the platform. Rewards never exceed the cost.
 */
export function splitReward(costMicros: bigint, feeBps: bigint, provers: number): RewardSplit {
  if (costMicros < 0n || feeBps < 0n || feeBps > BPS || provers < 1) throw new RangeError('invalid reward split');
  const pool = (costMicros * (BPS - feeBps)) / BPS;
  const perProver = pool / BigInt(provers);
  return { perProver, platformKeeps: costMicros - perProver * BigInt(provers) };
}

/** What a job's settlement splits by: the platform's fee and the base share, each in basis points. */
export interface RewardTerms {
  feeBps: bigint;
  /** The part of the provers' pool shared by every replica that reported; 0: the majority shares it all. */
  baseShareBps: bigint;
}

/** What a job settles by: its reward terms, and how long its rewards stay pending (0: paid at settlement). */
export interface SettlementTerms extends RewardTerms {
  disputeWindowSeconds: number;
}

export interface ReplicaRewards {
  /** The provers' pool: cost × (1 − fee), rounded down to the micro. */
  pool: bigint;
  /** What every replica that reported receives (the majority and the dissenters alike). */
  base: bigint;
  /** What each majority replica receives on top of the base. */
  bonus: bigint;
  /** Each rewarded prover's whole reward, majority first, in the order given. */
  rewards: { proverId: string; amount: bigint }[];
  /** What the platform keeps: its fee plus the remainder of every division. */
  platformKeeps: bigint;
}

/**
 * Splits a captured cost between the platform and the replicas: the provers' pool is
 * cost × (1 − fee) rounded down; base_share of the pool (rounded down) goes in equal parts
 * to every replica that reported (majority and dissenters), the rest of the pool in equal
 * parts to the majority as its bonus. Every division rounds down and its remainder stays
 * with the platform, so rewards never exceed the cost. With a base share of 0 it is exactly
 * splitReward: the majority shares the pool.
 */
export function splitReplicaRewards(
  costMicros: bigint,
  terms: RewardTerms,
  majority: readonly string[],
  dissenters: readonly string[],
): ReplicaRewards {
  const { feeBps, baseShareBps } = terms;
  if (costMicros < 0n || feeBps < 0n || feeBps > BPS || baseShareBps < 0n || baseShareBps > BPS) {
    throw new RangeError('invalid reward split');
  }
  if (majority.length < 1 || new Set([...majority, ...dissenters]).size !== majority.length + dissenters.length) {
    throw new RangeError('invalid reward split');
  }
  const pool = (costMicros * (BPS - feeBps)) / BPS;
  const basePool = (pool * baseShareBps) / BPS;
  const base = basePool / BigInt(majority.length + dissenters.length);
  const bonus = (pool - basePool) / BigInt(majority.length);
  const rewards = [
    ...majority.map((proverId) => ({ proverId, amount: base + bonus })),
    ...dissenters.map((proverId) => ({ proverId, amount: base })),
  ];
  const paid = rewards.reduce((sum, r) => sum + r.amount, 0n);
  return { pool, base, bonus, rewards, platformKeeps: costMicros - paid };
}

export interface ReplicaReport {
  proverId: string;
  success: boolean;
  finalCostMicros: bigint | null;
  resultHash: string | null;
}

export type ReplicaDecision =
  | { kind: 'waiting' }
  | { kind: 'failed'; dissenters: string[] }
  | { kind: 'completed'; majority: string[]; dissenters: string[]; finalCostMicros: bigint };

/**
 * Replicated jobs complete when a strict majority of the replicas report success with the
 * same result hash; the cost is the (lower) median of that majority's costs. When no
 * majority can be reached any more, the job fails.
 */
export function decideReplicas(replicas: number, reports: ReplicaReport[]): ReplicaDecision {
  const needed = Math.floor(replicas / 2) + 1;
  const groups = new Map<string, ReplicaReport[]>();
  for (const r of reports) {
    if (!r.success || r.resultHash === null) continue;
    groups.set(r.resultHash, [...(groups.get(r.resultHash) ?? []), r]);
  }
  for (const group of groups.values()) {
    if (group.length >= needed) {
      const costs = group.map((r) => r.finalCostMicros ?? 0n).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const majority = group.map((r) => r.proverId).sort();
      return {
        kind: 'completed',
        majority,
        dissenters: reports.map((r) => r.proverId).filter((p) => !majority.includes(p)),
        finalCostMicros: costs[Math.floor((costs.length - 1) / 2)],
      };
    }
  }
  const largest = Math.max(0, ...[...groups.values()].map((g) => g.length));
  const outstanding = replicas - reports.length;
  if (largest + outstanding < needed) return { kind: 'failed', dissenters: reports.map((r) => r.proverId) };
  return { kind: 'waiting' };
}

/** A replica's stored report, as a job's assignment row holds it. */
export interface StoredReport {
  prover_id: string;
  status: string;
  success: boolean | null;
  final_cost_micros: string | null;
  result_hash: string | null;
}

/**
 * A job's replicas decided again from their stored reports, by the rule that settled it
 * (decideReplicas): only the replicas that reported count, and a single replica's result
 * needs no hash to be its own majority.
 */
export function decideStoredReports(replicas: number, stored: readonly StoredReport[]): ReplicaDecision {
  return decideReplicas(
    replicas,
    stored
      .filter((a) => a.status === REPLICA_MOVES.report.to)
      .map((a) => ({
        proverId: a.prover_id,
        success: a.success === true,
        finalCostMicros: a.final_cost_micros === null ? null : BigInt(a.final_cost_micros),
        resultHash: replicas === 1 ? 'single' : a.result_hash,
      })),
  );
}
