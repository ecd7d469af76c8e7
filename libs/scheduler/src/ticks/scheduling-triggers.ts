import { IEventHandler } from '@nestjs/cqrs';
import { OutboxEvent, OutboxEventsHandler, registerOutboxEvent } from '@tally/database';
import { JOB_SUBMITTED } from '@tally/jobs';
import { SchedulerTicker } from './scheduler-ticker';

/**
 * The jobs lib's events after which a tick should run at once rather than at the next
 * interval: a new or requeued job waits to be placed, a settled one freed a prover's slot.
 * This lib's own classes for those outbox types (see registerOutboxEvent).
 */
export class JobSubmittedForScheduling extends OutboxEvent<{ network_job_id: string }> {}
export class JobRequeuedForScheduling extends OutboxEvent<{ network_job_id: string }> {}
export class JobSettledForScheduling extends OutboxEvent<{ network_job_id: string }> {}

registerOutboxEvent(JOB_SUBMITTED, JobSubmittedForScheduling);
registerOutboxEvent('JobRequeued', JobRequeuedForScheduling);
for (const type of ['JobCompleted', 'JobFailed', 'JobCancelled']) registerOutboxEvent(type, JobSettledForScheduling);

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
