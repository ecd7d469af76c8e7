import { IEventHandler } from '@nestjs/cqrs';
import { OutboxEvent, OutboxEventsHandler, registerOutboxEvent } from '@tally/database';
import {
  JOB_REQUEUED,
  JOB_SETTLED_EVENTS,
  JOB_SUBMITTED,
  type JobCancelledPayload,
  type JobCompletedPayload,
  type JobFailedPayload,
  type JobRequeuedPayload,
  type JobSubmittedPayload,
} from '@tally/jobs';
import { SchedulerTicker } from './scheduler-ticker';

/**
 * The jobs lib's events after which a tick should run at once rather than at the next
 * interval: a new or requeued job waits to be placed, a settled one freed a prover's slot.
 * This lib's own classes for those outbox types (see registerOutboxEvent).
 */
export class JobSubmittedForScheduling extends OutboxEvent<JobSubmittedPayload> {}
export class JobRequeuedForScheduling extends OutboxEvent<JobRequeuedPayload> {}
export class JobSettledForScheduling extends OutboxEvent<
  JobCompletedPayload | JobFailedPayload | JobCancelledPayload
> {}

registerOutboxEvent(JOB_SUBMITTED, JobSubmittedForScheduling);
registerOutboxEvent(JOB_REQUEUED, JobRequeuedForScheduling);
for (const type of JOB_SETTLED_EVENTS) registerOutboxEvent(type, JobSettledForScheduling);

@OutboxEventsHandler(JobSubmittedForScheduling, JobRequeuedForScheduling, JobSettledForScheduling)
export class SchedulingTriggers implements IEventHandler<
  JobSubmittedForScheduling | JobRequeuedForScheduling | JobSettledForScheduling
> {
  constructor(private readonly ticker: SchedulerTicker) {}

  handle(event: JobSubmittedForScheduling | JobRequeuedForScheduling | JobSettledForScheduling): void {
    // A settled job only freed a slot; a submitted or requeued one is known to wait.
    this.ticker.trigger(!(event instanceof JobSettledForScheduling));
  }
}
