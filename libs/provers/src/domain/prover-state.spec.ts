import {
  ASSIGNABLE_PROVER_STATE,
  canProverMove,
  INITIAL_PROVER_STATE,
  PROVER_MOVES,
  PROVER_STATES,
  type ProverEvent,
  type ProverState,
  proverStateAfter,
  statesLeftBy,
} from './prover-state';

/** Each event's outcome for each state, without and with a drain in force. */
const EXPECTED: Record<ProverEvent, Record<ProverState, [ProverState, ProverState]>> = {
  heartbeat: { active: ['active', 'active'], draining: ['draining', 'draining'], offline: ['active', 'draining'] },
  drain: { active: ['draining', 'draining'], draining: ['draining', 'draining'], offline: ['offline', 'offline'] },
  resume: { active: ['active', 'active'], draining: ['active', 'active'], offline: ['offline', 'offline'] },
  goOffline: { active: ['offline', 'offline'], draining: ['offline', 'offline'], offline: ['offline', 'offline'] },
};

describe('the prover state machine', () => {
  it.each(Object.keys(EXPECTED) as ProverEvent[])('%s moves each state as the table says', (event) => {
    for (const state of PROVER_STATES) {
      expect([proverStateAfter(event, state, false), proverStateAfter(event, state, true)]).toEqual(
        EXPECTED[event][state],
      );
    }
  });

  it('a drain outlives going offline: the prover comes back draining, or active once resumed', () => {
    let state: ProverState = INITIAL_PROVER_STATE;
    state = proverStateAfter('goOffline', state, false);
    state = proverStateAfter('drain', state, true);
    expect(state).toBe('offline');
    expect(proverStateAfter('heartbeat', state, true)).toBe('draining');
    state = proverStateAfter('resume', state, false);
    expect(proverStateAfter('heartbeat', state, false)).toBe('active');
  });

  it('names the states each event leaves, for the guards of its statements', () => {
    expect(statesLeftBy('goOffline')).toEqual(['active', 'draining']);
    expect(statesLeftBy('heartbeat')).toEqual(['offline']);
    expect(statesLeftBy('drain')).toEqual(['active']);
    expect(statesLeftBy('resume')).toEqual(['draining']);
  });

  it('moves only between distinct states, and a new prover is active: the one state that takes jobs', () => {
    for (const moves of Object.values(PROVER_MOVES)) for (const m of moves) expect(m.from).not.toContain(m.to);
    for (const s of PROVER_STATES) expect(canProverMove(s, s)).toBe(false);
    expect(canProverMove('offline', 'draining')).toBe(true);
    expect(canProverMove('draining', 'active')).toBe(true);
    expect(INITIAL_PROVER_STATE).toBe('active');
    expect(ASSIGNABLE_PROVER_STATE).toBe('active');
  });
});
