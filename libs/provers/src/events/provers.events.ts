import { OutboxEvent, registerOutboxEvent } from '@tally/database';
import { SCORECARD_UPDATE, type ScorecardUpdateEvent } from '../domain';

/** The jobs lib's outbox payloads this lib reacts to (its own classes: see registerOutboxEvent). */
export interface JobAssignedPayload {
  network_job_id: string;
  provers: string[];
}

export interface JobCompletedPayload {
  network_job_id: string;
  status: 'COMPLETED';
  provers: string[];
  dissenters?: string[];
  /** Every prover holding a replica when the job settled (absent from events written before it was added). */
  assigned_provers?: string[];
  final_cost_micros: string;
  reward_micros: string;
}

export interface JobFailedPayload {
  network_job_id: string;
  status: 'FAILED';
  prover_id: string | null;
  /** Every prover holding a replica when the job failed (absent from events written before it was added). */
  assigned_provers?: string[];
  /** The replicas the failure is charged to (absent from events written before it was added). */
  failed_provers?: string[];
  error_message: string | null;
}

/** Wakes this prover's long polls. */
export class ProverJobAssigned extends OutboxEvent<JobAssignedPayload> {}
/** A settled success: the majority's scorecards gain a success, the dissenters' a failure. */
export class ProverJobCompleted extends OutboxEvent<JobCompletedPayload> {}
/** A settled failure (reported, no majority, timeout): the scorecards of the replicas it is charged to gain a failure. */
export class ProverJobFailed extends OutboxEvent<JobFailedPayload> {}
/** A score event to persist with optimistic locking. */
export class ScorecardUpdatePublished extends OutboxEvent<ScorecardUpdateEvent> {}

registerOutboxEvent('JobAssigned', ProverJobAssigned);
registerOutboxEvent('JobCompleted', ProverJobCompleted);
registerOutboxEvent('JobFailed', ProverJobFailed);
registerOutboxEvent(SCORECARD_UPDATE, ScorecardUpdatePublished);
