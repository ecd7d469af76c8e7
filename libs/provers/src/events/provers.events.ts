import { OutboxEvent, registerEventSubjects, registerOutboxEvent } from '@tally/database';
import {
  JOB_ASSIGNED,
  JOB_COMPLETED,
  JOB_FAILED,
  type JobAssignedPayload,
  type JobCompletedPayload,
  type JobFailedPayload,
} from '@tally/jobs';
import { SCORECARD_UPDATE, type ScorecardUpdateEvent } from '../domain';

/** This lib's classes for the jobs lib's events it reacts to (see registerOutboxEvent). */

/** Wakes this prover's long polls. */
export class ProverJobAssigned extends OutboxEvent<JobAssignedPayload> {}
/** A settled success: the majority's scorecards gain a success, the dissenters' a failure. */
export class ProverJobCompleted extends OutboxEvent<JobCompletedPayload> {}
/** A settled failure (reported, no majority, timeout): the scorecards of the replicas it is charged to gain a failure. */
export class ProverJobFailed extends OutboxEvent<JobFailedPayload> {}
/** A score event to persist with optimistic locking. */
export class ScorecardUpdatePublished extends OutboxEvent<ScorecardUpdateEvent> {}

registerOutboxEvent(JOB_ASSIGNED, ProverJobAssigned);
registerOutboxEvent(JOB_COMPLETED, ProverJobCompleted);
registerOutboxEvent(JOB_FAILED, ProverJobFailed);
registerOutboxEvent(SCORECARD_UPDATE, ScorecardUpdatePublished);

/** Broker subject (docs/events.md): `scorecard.<prover_id>`, so a prover's updates keep their order. */
registerEventSubjects(SCORECARD_UPDATE, (p) => [['scorecard', String(p.prover_id)]]);
