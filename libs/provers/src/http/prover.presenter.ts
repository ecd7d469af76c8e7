import { type StakeTotals, type TransferView, UNBONDS_AT } from '@tally/ledger';
import { doubleToJson, formatMicros, int64ToJson, nullableTimestampToJson, timestampToJson } from '@tally/shared';
import { decayScore, effectiveState, idleSince, normalizeScore, supportedFeatures } from '../domain';
import type { ProverRow, ScoreHistoryRow } from '../persistence/prover.repository';
import type { ProverView } from '../queries/get-prover/get-prover.query';

export interface PresentSettings {
  livenessTtlMs: number;
  decayHalfLifeMs: number;
  /** SCORE_IDLE_AFTER_MS, for rows without score_idle_since (register, drain). */
  idleAfterMs: number;
}

/**
 * A prover as the API shows it; the score is its score at `now`, decayed only once the
 * prover is idle (the stored value is score_recorded). Rows from the get and list queries
 * carry when they became idle; others (register, drain) take it from the settings.
 */
export function presentProver(
  p: ProverRow & Partial<Pick<ProverView, 'score_idle_since'>>,
  now: Date,
  s: PresentSettings,
) {
  const decaysFrom = p.score_idle_since !== undefined ? p.score_idle_since : idleSince(p.last_scored_at, s.idleAfterMs);
  return {
    prover_id: p.prover_id,
    state: effectiveState(p.state, p.last_heartbeat, now, s.livenessTtlMs),
    // Exact decimals inside; doubles on the wire.
    score_value: doubleToJson(decayScore(p.score_value, decaysFrom, now, s.decayHalfLifeMs)),
    score_recorded: doubleToJson(normalizeScore(p.score_value)),
    successful_jobs: int64ToJson(p.successful_jobs),
    failed_jobs: int64ToJson(p.failed_jobs),
    version: int64ToJson(p.version),
    last_heartbeat: nullableTimestampToJson(p.last_heartbeat),
    last_scored_at: nullableTimestampToJson(p.last_scored_at),
    region: p.region,
    max_concurrency: p.max_concurrency,
    // numeric(7, 6): a measurement, not money.
    load_factor: doubleToJson(p.load_factor),
    registered_at: timestampToJson(p.registered_at),
  };
}

export function presentCapabilities(p: ProverRow) {
  return {
    prover_id: p.prover_id,
    hardware_profile: p.hardware_profile,
    capabilities: p.capabilities,
    supported_features: supportedFeatures(p.capabilities),
  };
}

/** A prover's score history: each applied score event's stored score (as score_recorded shows it) and counts. */
export function presentScoreHistory(proverId: string, rows: ScoreHistoryRow[]) {
  return {
    prover_id: proverId,
    items: rows.map((r) => ({
      at: timestampToJson(r.scored_at),
      score: doubleToJson(normalizeScore(r.score_value)),
      version: int64ToJson(r.version),
      delta_success: r.delta_success,
      delta_failure: r.delta_failure,
    })),
  };
}

/** A prover's stake (micros, decimal strings from the ledger) as the API shows it. */
export function presentStake(s: StakeTotals) {
  return {
    bonded_micros: int64ToJson(s.bonded),
    unbonding_micros: int64ToJson(s.unbonding),
    slashed_micros: int64ToJson(s.slashed),
    earned_micros: int64ToJson(s.earned),
  };
}

/** A bond or an unbonding as posted: the stake account's balance right after it, from its entry. */
export function presentStakeMovement(proverId: string, t: TransferView) {
  const entry = t.entries.find((e) => e.account_type === 'stake' && e.account_id === proverId);
  const posted = entry ? BigInt(entry.posted_credits) - BigInt(entry.posted_debits) : 0n;
  const pending = entry ? BigInt(entry.pending_debits) : 0n;
  const until = t.kind === 'hold' ? t.metadata?.[UNBONDS_AT] : undefined;
  return {
    prover_id: proverId,
    transfer_id: t.id,
    kind: t.kind,
    amount: formatMicros(BigInt(t.amount)),
    bonded_micros: int64ToJson(posted - pending),
    unbonding_micros: int64ToJson(pending),
    unbonds_at: typeof until === 'string' ? until : null,
    created_at: new Date(t.created_at).toISOString(),
  };
}
