import { DomainError, ErrorCode } from '@tally/shared';

export const JOB_STATUSES = ['PENDING', 'ASSIGNED', 'RUNNING', 'COMPLETED', 'AUDITED', 'FAILED', 'CANCELLED'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const PRIORITIES = ['LOW', 'NORMAL', 'HIGH'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** The only legal moves (ARCHITECTURE §1); anything else is DSE-010. */
const TRANSITIONS: Record<JobStatus, readonly JobStatus[]> = {
  PENDING: ['ASSIGNED', 'CANCELLED', 'FAILED'],
  ASSIGNED: ['RUNNING', 'PENDING', 'CANCELLED', 'FAILED'],
  RUNNING: ['COMPLETED', 'FAILED', 'CANCELLED', 'PENDING'],
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

export class JobNotFoundError extends DomainError {
  constructor(id: string) {
    super(ErrorCode.JobNotFound, `no job ${id}`, { network_job_id: id });
  }
}

/** How a job's payload was sent: JSON, or bytes in base64 (kept as {"base64": …}). */
export type PayloadEncoding = 'json' | 'base64';
