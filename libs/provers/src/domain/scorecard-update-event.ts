/**
 * The seed contract's score event (docs/architecture.md §5), kept verbatim as the outbox payload
 * of type 'ScorecardUpdate', partitioned by prover_id.
 */
export interface ScorecardUpdateEvent {
  prover_id: string;
  delta_success: number;
  delta_failure: number;
  /** The score after this event, computed from the state at `expected_version` (decimal string). */
  new_score_value: string;
  /** The scorecard version the emitter read; the persistor updates only that version. */
  expected_version: number;
  event_id: string;
  /** ISO 8601; also the time the idle decay is computed to. */
  emitted_at: string;
}

export const SCORECARD_UPDATE = 'ScorecardUpdate';
