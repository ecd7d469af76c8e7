import { DomainError, ErrorCode } from '@tally/shared';

export const JOB_STATUSES = [
  'PENDING',
  'ASSIGNED',
  'RUNNING',
  'COMPLETED',
  'DISPUTED',
  'AUDITED',
  'FAILED',
  'CANCELLED',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const PRIORITIES = ['LOW', 'NORMAL', 'HIGH'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** A move of the state machine: the states it leaves and the one it reaches. */
export interface Move<S extends string> {
  from: readonly S[];
  to: S;
}

export type JobMove = Move<JobStatus>;

/**
 * The job state machine (docs/architecture.md §1): every legal move, named by what makes it;
 * anything else is DSE-010. It is the one source: `canTransition` reads it, and every
 * statement that moves a job writes its guard (`WHERE status IN (from)`) and target from
 * it. A new job is PENDING. Back to PENDING: a requeue (a prover holding the job went
 * away; every replica starts again). RUNNING → ASSIGNED: a start given back to its
 * prover's next poll (the poll could not deliver it, or the prover's heartbeat says it is
 * not running it). COMPLETED ↔ DISPUTED: within its dispute window a client disputes a job,
 * and an admin's resolution (uphold or refund) makes it COMPLETED again, its rewards no longer
 * pending; AUDITED comes once nothing is pending (docs/economics.md, Disputes).
 */
export const MOVES = {
  assign: { from: ['PENDING'], to: 'ASSIGNED' },
  /** The job's first replica starts (a later replica's start leaves the job RUNNING). */
  start: { from: ['ASSIGNED'], to: 'RUNNING' },
  giveBack: { from: ['RUNNING'], to: 'ASSIGNED' },
  requeue: { from: ['ASSIGNED', 'RUNNING'], to: 'PENDING' },
  complete: { from: ['RUNNING'], to: 'COMPLETED' },
  fail: { from: ['PENDING', 'ASSIGNED', 'RUNNING'], to: 'FAILED' },
  cancel: { from: ['PENDING', 'ASSIGNED', 'RUNNING'], to: 'CANCELLED' },
  audit: { from: ['COMPLETED'], to: 'AUDITED' },
  dispute: { from: ['COMPLETED'], to: 'DISPUTED' },
  resolve: { from: ['DISPUTED'], to: 'COMPLETED' },
} as const satisfies Record<string, JobMove>;

/** A job whose prover may report usage (metered payments): one that could still complete. */
export const METERING: readonly JobStatus[] = MOVES.complete.from;

/** A job decided as a success: its result stands (or is being disputed), whatever its rewards' state. */
export const DECIDED: readonly JobStatus[] = [MOVES.complete.to, MOVES.dispute.to, MOVES.audit.to];

/** What a new job is. */
export const INITIAL_JOB_STATUS: JobStatus = 'PENDING';

/** The states a job's replicas are out with provers in: what a prover's load counts, what a requeue takes back. */
export const IN_FLIGHT: readonly JobStatus[] = MOVES.requeue.from;

/** The moves that settle a job, by the state they reach (a settlement writes its guard from these). */
export const SETTLING_MOVES = {
  COMPLETED: MOVES.complete,
  FAILED: MOVES.fail,
  CANCELLED: MOVES.cancel,
} as const satisfies Record<string, JobMove>;

export type SettledStatus = keyof typeof SETTLING_MOVES;

/** States nothing leaves: derived from the moves (AUDITED, FAILED, CANCELLED). */
export const TERMINAL: readonly JobStatus[] = JOB_STATUSES.filter((s) => !leaves(MOVES, s));

/**
 * A replica's own states (one row of job_assignments per prover): it waits to start,
 * runs, and either reports or is called off when its job is decided without it (or
 * cancelled, or failed). A requeue takes every replica back (the rows go).
 */
export const REPLICA_STATUSES = ['ASSIGNED', 'RUNNING', 'REPORTED', 'CANCELLED'] as const;
export type ReplicaStatus = (typeof REPLICA_STATUSES)[number];

export const REPLICA_MOVES = {
  start: { from: ['ASSIGNED'], to: 'RUNNING' },
  giveBack: { from: ['RUNNING'], to: 'ASSIGNED' },
  report: { from: ['RUNNING'], to: 'REPORTED' },
  callOff: { from: ['ASSIGNED', 'RUNNING'], to: 'CANCELLED' },
} as const satisfies Record<string, Move<ReplicaStatus>>;

/** What a new replica is (the column's default). */
export const INITIAL_REPLICA_STATUS: ReplicaStatus = 'ASSIGNED';

/** Replicas their provers still hold (not reported, not called off): what a call-off or a requeue takes back. */
export const OUTSTANDING_REPLICA: readonly ReplicaStatus[] = REPLICA_MOVES.callOff.from;

function leaves<S extends string>(moves: Record<string, Move<S>>, state: S): boolean {
  return Object.values(moves).some((m) => m.from.includes(state));
}

function reaches<S extends string>(moves: Record<string, Move<S>>, from: S, to: S): boolean {
  return Object.values(moves).some((m) => m.to === to && m.from.includes(from));
}

export class IllegalTransitionError extends DomainError {
  constructor(from: JobStatus, to: JobStatus, why?: string) {
    super(ErrorCode.IllegalTransition, why ?? `a ${from} job cannot become ${to}`, { from, to });
  }
}

export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return reaches(MOVES, from, to);
}

export function assertTransition(from: JobStatus, to: JobStatus): void {
  if (!canTransition(from, to)) throw new IllegalTransitionError(from, to);
}

/** Whether a replica may move from one state to the other. */
export function canReplicaMove(from: ReplicaStatus, to: ReplicaStatus): boolean {
  return reaches(REPLICA_MOVES, from, to);
}

/** Whether `move` can be made from `state`. */
export function canMove<S extends string>(move: Move<S>, state: S): boolean {
  return move.from.includes(state);
}

/** Every legal (from, to) pair of a table, for a statement that checks a move it was handed. */
export function movePairs<S extends string>(moves: readonly Move<S>[]): [S, S][] {
  return moves.flatMap((m) => m.from.map((from): [S, S] => [from, m.to]));
}

/**
 * Replicas as a decided (or cancelled, or failed) job leaves them: the outstanding ones
 * are called off, so their provers hear of it at their next heartbeat and stop.
 */
export function callOffOutstanding<R extends { status: ReplicaStatus }>(replicas: R[]): R[] {
  const { callOff } = REPLICA_MOVES;
  return replicas.map((r) => (canMove<ReplicaStatus>(callOff, r.status) ? { ...r, status: callOff.to } : r));
}

export class JobNotFoundError extends DomainError {
  constructor(id: string) {
    super(ErrorCode.JobNotFound, `no job ${id}`, { network_job_id: id });
  }
}

/** How a job's payload was sent: JSON, or bytes in base64 (kept as {"base64": …}). */
export type PayloadEncoding = 'json' | 'base64';
