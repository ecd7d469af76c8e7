import { ErrorCode } from '@tally/shared';
import { canTransition, IllegalTransitionError, JOB_STATUSES, legalMove, MOVES, TERMINAL } from './job-status';

describe('the job state machine', () => {
  it('gives a start back: RUNNING → ASSIGNED, and ASSIGNED → RUNNING again', () => {
    expect(canTransition('RUNNING', 'ASSIGNED')).toBe(true);
    expect(canTransition('ASSIGNED', 'RUNNING')).toBe(true);
  });

  it('lets nothing leave a terminal state, nor a state move to itself (a repeated cancel is not a move)', () => {
    for (const from of TERMINAL) for (const to of JOB_STATUSES) expect(canTransition(from, to)).toBe(false);
    for (const s of JOB_STATUSES) expect(canTransition(s, s)).toBe(false);
  });

  it('names the moves that share a target: an assignment from PENDING, a give-back from RUNNING', () => {
    expect(MOVES.assign).toEqual({ from: 'PENDING', to: 'ASSIGNED' });
    expect(MOVES.giveBack).toEqual({ from: 'RUNNING', to: 'ASSIGNED' });
    for (const { from, to } of Object.values(MOVES)) expect(canTransition(from, to)).toBe(true);
  });

  it('legalMove hands a statement its states, and refuses a move the table does not hold (DSE-010)', () => {
    expect(legalMove('RUNNING', 'ASSIGNED')).toEqual({ from: 'RUNNING', to: 'ASSIGNED' });
    let refused: unknown;
    try {
      legalMove('COMPLETED', 'ASSIGNED');
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(IllegalTransitionError);
    expect(refused).toMatchObject({
      code: ErrorCode.IllegalTransition,
      details: { from: 'COMPLETED', to: 'ASSIGNED' },
    });
  });
});
