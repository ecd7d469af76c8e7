import { eventToken, registerEventSubjects, registerExternalOutboxEvent } from '@tally/database';
import type { JobAuditEvent, JobStatus, Priority } from '../domain';

/**
 * The jobs lib's outbox events: their type names and payloads are this lib's contract.
 * Consumers import them from here (through the lib's index) and register classes of their
 * own for the types they listen to; no other lib spells a name. Every `network_job_id` is
 * the job's int64 id as a decimal string, exact whatever its size.
 */

/** A job was accepted. */
export const JOB_SUBMITTED = 'JobSubmitted';
export interface JobSubmittedPayload {
  network_job_id: string;
  client_id: string;
  priority: Priority;
  replicas: number;
  requirements: Record<string, unknown>;
  service: string | null;
}

/** A job went to its provers (one per replica). */
export const JOB_ASSIGNED = 'JobAssigned';
export interface JobAssignedPayload {
  network_job_id: string;
  provers: string[];
}

/** A job's first replica started. */
export const JOB_STARTED = 'JobStarted';
export interface JobStartedPayload {
  network_job_id: string;
  prover_id: string;
}

/** A start given back (its poll could not deliver it, or the prover's heartbeat left it out). */
export const JOB_START_RELEASED = 'JobStartReleased';
export interface JobStartReleasedPayload {
  network_job_id: string;
  prover_id: string;
  /** The job's state after the give-back: ASSIGNED, or RUNNING when another replica runs. */
  job_status: JobStatus;
}

/** A prover holding the job went away: the job waits for other provers. */
export const JOB_REQUEUED = 'JobRequeued';
export interface JobRequeuedPayload {
  network_job_id: string;
  prover_id: string;
  reason: string;
  attempts: number;
}

/** A job settled with a result. */
export const JOB_COMPLETED = 'JobCompleted';
export interface JobCompletedPayload {
  network_job_id: string;
  status: 'COMPLETED';
  provers: string[];
  dissenters?: string[];
  /** Every prover holding a replica when the job settled (absent from events written before it was added). */
  assigned_provers?: string[];
  final_cost_micros: string;
  /** What each majority replica received (its base + bonus). */
  reward_micros: string;
  /**
   * Every reward paid, one per prover: the majority's, then each dissenter's base (absent
   * from events written before base + bonus rewards; a reward of 0 is not listed).
   */
  rewards?: { prover_id: string; reward_micros: string }[];
  /** Within a dispute window: when it closes; the rewards are held (pending) until then (absent: paid). */
  rewards_pending_until?: string;
  /**
   * The provers' stakes this settlement slashed, in order, by the job's service terms (see
   * economics.md, Slashing; absent from events written before slashing, and when none).
   */
  slashes?: { prover_id: string; slashed_micros: string; to_client_micros: string; to_platform_micros: string }[];
}

/**
 * The prover of a metered job reported its usage (metered payments): the cost of the new
 * units was captured from the job's hold and the prover paid its share at once.
 */
export const JOB_USAGE_REPORTED = 'JobUsageReported';
export interface JobUsageReportedPayload {
  network_job_id: string;
  prover_id: string;
  /** The cumulative units reported (a decimal string). */
  units: string;
  /** What this report's new units cost: captured into the platform. */
  cost_micros: string;
  /** What of that cost the prover was paid. */
  reward_micros: string;
  /** What the job's usage has cost in all, this report included. */
  metered_micros: string;
}

/** A client disputed a COMPLETED job within its window (DISPUTED): its rewards stay pending until an admin resolves it. */
export const JOB_DISPUTED = 'JobDisputed';
export interface JobDisputedPayload {
  network_job_id: string;
  status: 'DISPUTED';
  client_id: string;
  reason: string;
}

/** A reward held through a dispute window, as an event tells it. */
export interface PendingRewardPayload {
  prover_id: string;
  reward_micros: string;
}

/** A dispute window closed undisputed: the pending rewards were paid to their provers. */
export const JOB_REWARDS_RELEASED = 'JobRewardsReleased';
export interface JobRewardsReleasedPayload {
  network_job_id: string;
  rewards: PendingRewardPayload[];
}

/**
 * An admin resolved a dispute (the job COMPLETED again): `uphold` paid the pending rewards;
 * `refund` voided them, refunded the client `refund_micros` and slashed the rewarded provers.
 */
export const JOB_DISPUTE_RESOLVED = 'JobDisputeResolved';
export interface JobDisputeResolvedPayload {
  network_job_id: string;
  status: 'COMPLETED';
  outcome: 'uphold' | 'refund';
  /** What was paid (uphold) or voided (refund). */
  rewards: PendingRewardPayload[];
  refund_micros: string;
  slashes?: { prover_id: string; slashed_micros: string; to_client_micros: string; to_platform_micros: string }[];
}

/** A job failed (reported, no majority, timeout) or was cancelled: a full refund. */
export interface JobRefundedPayload<S extends 'FAILED' | 'CANCELLED'> {
  network_job_id: string;
  status: S;
  prover_id: string | null;
  /** Every prover holding a replica when the job settled (absent from events written before it was added). */
  assigned_provers?: string[];
  /** The replicas the failure is charged to (absent from events written before it was added). */
  failed_provers?: string[];
  error_message: string | null;
  /**
   * The provers' stakes this settlement slashed, in order, by the job's service terms (see
   * economics.md, Slashing; absent from events written before slashing, and when none).
   */
  slashes?: { prover_id: string; slashed_micros: string; to_client_micros: string; to_platform_micros: string }[];
}
export const JOB_FAILED = 'JobFailed';
export type JobFailedPayload = JobRefundedPayload<'FAILED'>;
export const JOB_CANCELLED = 'JobCancelled';
export type JobCancelledPayload = JobRefundedPayload<'CANCELLED'>;

/** A settled job's audit entry to append (the seed's JobAuditEvent, in the JSON mapping: docs/api.md). */
export const JOB_AUDIT = 'JobAudit';
export type JobAuditPayload = JobAuditEvent;

/** A COMPLETED job has its settlement receipt and audit entry: AUDITED. */
export const JOB_AUDITED = 'JobAudited';
export interface JobAuditedPayload {
  network_job_id: string;
  status: 'AUDITED';
}

/** The events that settle a job. */
export const JOB_SETTLED_EVENTS = [JOB_COMPLETED, JOB_FAILED, JOB_CANCELLED] as const;

/**
 * Job events no Tally handler listens to (the start of a run, a start given back, the move
 * to AUDITED): kept in the outbox for external transports, written published (see
 * registerExternalOutboxEvent).
 */
for (const type of [
  JOB_STARTED,
  JOB_START_RELEASED,
  JOB_USAGE_REPORTED,
  JOB_AUDITED,
  JOB_DISPUTED,
  JOB_REWARDS_RELEASED,
  JOB_DISPUTE_RESOLVED,
])
  registerExternalOutboxEvent(type);

/** A job's events keep their commit order across its subjects (submitted before assigned before ...). */
function jobOrder(p: Record<string, unknown>): string {
  return `job:${String(p.network_job_id)}`;
}

/** Broker subjects (docs/events.md): `job.<network_job_id>.<event>`, and a settled job's audit entry on `audit.<network_job_id>`. */
for (const type of [
  JOB_SUBMITTED,
  JOB_ASSIGNED,
  JOB_STARTED,
  JOB_START_RELEASED,
  JOB_REQUEUED,
  JOB_USAGE_REPORTED,
  JOB_COMPLETED,
  JOB_FAILED,
  JOB_CANCELLED,
  JOB_DISPUTED,
  JOB_REWARDS_RELEASED,
  JOB_DISPUTE_RESOLVED,
  JOB_AUDITED,
]) {
  registerEventSubjects(type, (p) => [['job', String(p.network_job_id), eventToken(type, 'Job')]], jobOrder);
}
registerEventSubjects(JOB_AUDIT, (p) => [['audit', String(p.network_job_id)]], jobOrder);
