import { ErrorCode } from '@tally/shared';
import {
  assertTransition,
  callOffOutstanding,
  canMove,
  canReplicaMove,
  canTransition,
  IllegalTransitionError,
  IN_FLIGHT,
  JOB_STATUSES,
  type JobStatus,
  MOVES,
  movePairs,
  OUTSTANDING_REPLICA,
  REPLICA_MOVES,
  REPLICA_STATUSES,
  SETTLING_MOVES,
  TERMINAL,
} from './job-status';

/** docs/architecture.md §1's machine, edge by edge: the table must hold exactly these. */
const EXPECTED: Record<JobStatus, JobStatus[]> = {
  PENDING: ['ASSIGNED', 'FAILED', 'CANCELLED'],
  ASSIGNED: ['RUNNING', 'PENDING', 'FAILED', 'CANCELLED'],
  RUNNING: ['ASSIGNED', 'PENDING', 'COMPLETED', 'FAILED', 'CANCELLED'],
  COMPLETED: ['AUDITED', 'DISPUTED'],
  DISPUTED: ['COMPLETED'],
  AUDITED: [],
  FAILED: [],
  CANCELLED: [],
};

describe('the job state machine', () => {
  it('holds exactly the legal moves of the architecture, and nothing else', () => {
    for (const from of JOB_STATUSES) {
      expect(JOB_STATUSES.filter((to) => canTransition(from, to)).sort()).toEqual([...EXPECTED[from]].sort());
    }
  });

  it('gives a start back: RUNNING → ASSIGNED, and ASSIGNED → RUNNING again', () => {
    expect(canTransition('RUNNING', 'ASSIGNED')).toBe(true);
    expect(canTransition('ASSIGNED', 'RUNNING')).toBe(true);
  });

  it('lets nothing leave a terminal state, nor a state move to itself (a repeated cancel is not a move)', () => {
    expect([...TERMINAL].sort()).toEqual(['AUDITED', 'CANCELLED', 'FAILED']);
    for (const from of TERMINAL) for (const to of JOB_STATUSES) expect(canTransition(from, to)).toBe(false);
    for (const s of JOB_STATUSES) expect(canTransition(s, s)).toBe(false);
  });

  it('names the moves that share a target: an assignment from PENDING, a give-back from RUNNING', () => {
    expect(MOVES.assign).toEqual({ from: ['PENDING'], to: 'ASSIGNED' });
    expect(MOVES.giveBack).toEqual({ from: ['RUNNING'], to: 'ASSIGNED' });
    expect(canMove(MOVES.assign, 'RUNNING')).toBe(false);
    expect(canMove(MOVES.giveBack, 'RUNNING')).toBe(true);
  });

  it('settles a job from the states each settlement may leave: a completion only from RUNNING', () => {
    for (const [to, move] of Object.entries(SETTLING_MOVES)) expect(move.to).toBe(to);
    expect(movePairs(Object.values(SETTLING_MOVES))).toEqual([
      ['RUNNING', 'COMPLETED'],
      ['PENDING', 'FAILED'],
      ['ASSIGNED', 'FAILED'],
      ['RUNNING', 'FAILED'],
      ['PENDING', 'CANCELLED'],
      ['ASSIGNED', 'CANCELLED'],
      ['RUNNING', 'CANCELLED'],
    ]);
  });

  it('counts a job in flight while its replicas are out with provers: ASSIGNED and RUNNING', () => {
    expect(IN_FLIGHT).toEqual(['ASSIGNED', 'RUNNING']);
  });

  it('refuses a move the table does not hold with DSE-010, naming both states', () => {
    let refused: unknown;
    try {
      assertTransition('COMPLETED', 'ASSIGNED');
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(IllegalTransitionError);
    expect(refused).toMatchObject({
      code: ErrorCode.IllegalTransition,
      details: { from: 'COMPLETED', to: 'ASSIGNED' },
    });
    expect(() => assertTransition('RUNNING', 'COMPLETED')).not.toThrow();
  });
});

describe("a replica's state machine", () => {
  it('starts, is given back, reports or is called off, and leaves neither REPORTED nor CANCELLED', () => {
    const legal = REPLICA_STATUSES.flatMap((from) =>
      REPLICA_STATUSES.filter((to) => canReplicaMove(from, to)).map((to) => `${from}→${to}`),
    );
    expect(legal.sort()).toEqual(
      ['ASSIGNED→RUNNING', 'ASSIGNED→CANCELLED', 'RUNNING→ASSIGNED', 'RUNNING→REPORTED', 'RUNNING→CANCELLED'].sort(),
    );
    expect(REPLICA_MOVES.report).toEqual({ from: ['RUNNING'], to: 'REPORTED' });
    expect(OUTSTANDING_REPLICA).toEqual(['ASSIGNED', 'RUNNING']);
  });

  it('calls off the outstanding replicas of a decided job and keeps the reported ones as they are', () => {
    const replicas = [
      { prover: 'a', status: 'ASSIGNED' as const },
      { prover: 'b', status: 'RUNNING' as const },
      { prover: 'c', status: 'REPORTED' as const },
    ];
    expect(callOffOutstanding(replicas)).toEqual([
      { prover: 'a', status: 'CANCELLED' },
      { prover: 'b', status: 'CANCELLED' },
      { prover: 'c', status: 'REPORTED' },
    ]);
    expect(replicas[0].status).toBe('ASSIGNED');
  });
});
