export const PROVER_STATES = ['active', 'draining', 'offline'] as const;
export type ProverState = (typeof PROVER_STATES)[number];

/**
 * A move of a prover's state. `drainRequested`: only when an admin's drain is (true) or is
 * not (false) in force (a drain outlives going offline: the prover comes back draining).
 */
export interface ProverMove {
  from: readonly ProverState[];
  to: ProverState;
  drainRequested?: boolean;
}

/** A new prover's state. */
export const INITIAL_PROVER_STATE: ProverState = 'active';

/** The one state the scheduler gives new jobs to (and an admin may assign to). */
export const ASSIGNABLE_PROVER_STATE: ProverState = 'active';

/**
 * The prover state machine: what each event does to each state, the first matching move
 * winning; a state no move of the event leaves stays as it is. It is the one source: the
 * statements that change a prover's state write their CASE and guards from it.
 */
export const PROVER_MOVES = {
  /**
   * Heard from: a heartbeat, a poll, or a registration by the prover itself. An offline
   * prover is back, draining if a drain was asked meanwhile.
   */
  heartbeat: [
    { from: ['offline'], to: 'draining', drainRequested: true },
    { from: ['offline'], to: 'active', drainRequested: false },
  ],
  /** An admin's drain: no new jobs. An offline prover stays offline and comes back draining. */
  drain: [{ from: ['active'], to: 'draining' }],
  /** The drain is lifted. An offline prover stays offline and comes back active. */
  resume: [{ from: ['draining'], to: 'active' }],
  /** Silent past the liveness TTL (the timeout sweep). */
  goOffline: [{ from: ['active', 'draining'], to: 'offline' }],
} as const satisfies Record<string, readonly ProverMove[]>;

export type ProverEvent = keyof typeof PROVER_MOVES;

/** The state a silent prover is marked (and stays until heard from). */
export const OFFLINE_STATE: ProverState = PROVER_MOVES.goOffline[0].to;

/** A prover's state after `event`, given its state and whether a drain is in force. */
export function proverStateAfter(event: ProverEvent, state: ProverState, drainRequested: boolean): ProverState {
  const moves: readonly ProverMove[] = PROVER_MOVES[event];
  const move = moves.find(
    (m) => m.from.includes(state) && (m.drainRequested === undefined || m.drainRequested === drainRequested),
  );
  return move?.to ?? state;
}

/** The states `event` can move a prover out of (a statement's guard). */
export function statesLeftBy(event: ProverEvent): ProverState[] {
  const moves: readonly ProverMove[] = PROVER_MOVES[event];
  return PROVER_STATES.filter((s) => moves.some((m) => m.from.includes(s)));
}

/** Whether any event moves a prover from one state to the other. */
export function canProverMove(from: ProverState, to: ProverState): boolean {
  return Object.values(PROVER_MOVES).some((moves: readonly ProverMove[]) =>
    moves.some((m) => m.to === to && m.from.includes(from)),
  );
}
