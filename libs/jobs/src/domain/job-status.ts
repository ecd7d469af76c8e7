import { DomainError, ErrorCode } from '@tally/shared';

export const JOB_STATUSES = ['PENDING', 'ASSIGNED', 'RUNNING', 'COMPLETED', 'AUDITED', 'FAILED', 'CANCELLED'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const PRIORITIES = ['LOW', 'NORMAL', 'HIGH'] as const;
export type Priority = (typeof PRIORITIES)[number];

/**
 * The only legal moves (ARCHITECTURE §1); anything else is DSE-010. Back to PENDING: the
 * job is requeued (its prover went away). RUNNING → ASSIGNED: a start is given back to its
 * prover's next poll (the poll could not deliver it, or the prover's heartbeat says it is
 * not running it).
 */
const TRANSITIONS: Record<JobStatus, readonly JobStatus[]> = {
  PENDING: ['ASSIGNED', 'CANCELLED', 'FAILED'],
  ASSIGNED: ['RUNNING', 'PENDING', 'CANCELLED', 'FAILED'],
  RUNNING: ['COMPLETED', 'FAILED', 'CANCELLED', 'PENDING', 'ASSIGNED'],
  COMPLETED: ['AUDITED'],
  AUDITED: [],
  FAILED: [],
  CANCELLED: [],
};

export const TERMINAL: readonly JobStatus[] = ['AUDITED', 'FAILED', 'CANCELLED'];

export class IllegalTransitionError extends DomainError {
  constructor(from: JobStatus, to: JobStatus, why?: string) {
    super(ErrorCode.IllegalTransition, why ?? `a ${from} job cannot become ${to}`, { from, to });
  }
}

export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(from: JobStatus, to: JobStatus): void {
  if (!canTransition(from, to)) throw new IllegalTransitionError(from, to);
}

/**
 * A move a set-based statement makes, checked against the table when the statement is
 * defined (at module load): the SQL writes its states from this, so the table stays the
 * one source of what may move where.
 */
export function legalMove<From extends JobStatus, To extends JobStatus>(from: From, to: To): { from: From; to: To } {
  assertTransition(from, to);
  return { from, to };
}

/**
 * Moves named by what makes them, where one target is reached from several states for
 * different reasons: an assignment takes a PENDING job to ASSIGNED, a give-back a RUNNING
 * one (a RUNNING job cannot be assigned provers).
 */
export const MOVES = {
  assign: legalMove('PENDING', 'ASSIGNED'),
  start: legalMove('ASSIGNED', 'RUNNING'),
  giveBack: legalMove('RUNNING', 'ASSIGNED'),
  audit: legalMove('COMPLETED', 'AUDITED'),
} as const;

export class JobNotFoundError extends DomainError {
  constructor(id: string) {
    super(ErrorCode.JobNotFound, `no job ${id}`, { network_job_id: id });
  }
}

/** How a job's payload was sent: JSON, or bytes in base64 (kept as {"base64": …}). */
export type PayloadEncoding = 'json' | 'base64';
