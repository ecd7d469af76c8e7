import { decayScore, effectiveState, normalizeScore, supportedFeatures } from '../domain';
import type { ProverRow } from '../persistence/prover.repository';

export interface PresentSettings {
  livenessTtlMs: number;
  decayHalfLifeMs: number;
}

/** A prover as the API shows it; the score is decayed to `now` (the stored value is score_recorded). */
export function presentProver(p: ProverRow, now: Date, s: PresentSettings) {
  return {
    prover_id: p.prover_id,
    state: effectiveState(p.state, p.last_heartbeat, now, s.livenessTtlMs),
    score_value: decayScore(p.score_value, p.last_scored_at, now, s.decayHalfLifeMs),
    score_recorded: normalizeScore(p.score_value),
    successful_jobs: Number(p.successful_jobs),
    failed_jobs: Number(p.failed_jobs),
    version: Number(p.version),
    last_heartbeat: p.last_heartbeat,
    last_scored_at: p.last_scored_at,
    region: p.region,
    max_concurrency: p.max_concurrency,
    // numeric(7, 6): a measurement, not money, so a JSON number.
    load_factor: Number(p.load_factor),
    registered_at: p.registered_at,
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
