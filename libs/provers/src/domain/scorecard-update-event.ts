import { doubleToJson, int64ToJson } from '@tally/shared';
import { normalizeScore, SCORE_MAX, SCORE_MIN, STORED_SCORE } from './score';

/**
 * The seed contract's score event (docs/architecture.md §5) as it travels: the outbox
 * payload of type 'ScorecardUpdate', partitioned by prover_id, in the proto3 JSON mapping
 * (docs/api.md, "Events").
 */
export interface ScorecardUpdateEvent {
  prover_id: string;
  delta_success: number;
  delta_failure: number;
  /** The score after this event, computed from the state at `expected_version` (a double on the wire). */
  new_score_value: number;
  /** The scorecard version the emitter read (int64, a decimal string); the persistor updates only that version. */
  expected_version: string;
  event_id: string;
  /** RFC 3339; also the time the idle decay is computed to. */
  emitted_at: string;
}

export const SCORECARD_UPDATE = 'ScorecardUpdate';

/** A score event as the emitter and the persistor compute with it: the score an exact decimal. */
export interface ScoreUpdate {
  prover_id: string;
  delta_success: number;
  delta_failure: number;
  /** Decimal string, at most SCORE_DECIMALS places. */
  new_score_value: string;
  expected_version: number;
  event_id: string;
  emitted_at: string;
}

/** The event's JSON form. A score has at most 9 significant digits, so its double reads back as the same decimal. */
export function scorecardUpdateEvent(u: ScoreUpdate): ScorecardUpdateEvent {
  return { ...u, new_score_value: doubleToJson(u.new_score_value), expected_version: int64ToJson(u.expected_version) };
}

const count = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;

/**
 * Reads a payload as a score event, or undefined when it is not one. Events written before
 * the JSON mapping (the score a decimal string, the version a number) may still wait in the
 * outbox or the retry queue, so both forms are read.
 */
export function readScorecardUpdate(payload: unknown): ScoreUpdate | undefined {
  const p = payload as Partial<Record<keyof ScorecardUpdateEvent, unknown>> | null;
  if (typeof p !== 'object' || p === null) return undefined;
  const score =
    typeof p.new_score_value === 'number' &&
    p.new_score_value >= Number(SCORE_MIN) &&
    p.new_score_value <= Number(SCORE_MAX)
      ? normalizeScore(p.new_score_value)
      : p.new_score_value;
  const version =
    typeof p.expected_version === 'string' && /^(0|[1-9]\d{0,15})$/.test(p.expected_version)
      ? Number(p.expected_version)
      : p.expected_version;
  const ok =
    typeof p.prover_id === 'string' &&
    count(p.delta_success) &&
    count(p.delta_failure) &&
    count(version) &&
    typeof score === 'string' &&
    STORED_SCORE.test(score) &&
    typeof p.event_id === 'string' &&
    typeof p.emitted_at === 'string' &&
    !Number.isNaN(Date.parse(p.emitted_at));
  if (!ok) return undefined;
  return {
    prover_id: p.prover_id as string,
    delta_success: p.delta_success as number,
    delta_failure: p.delta_failure as number,
    new_score_value: score,
    expected_version: version,
    event_id: p.event_id as string,
    emitted_at: p.emitted_at as string,
  };
}
