import { BeforeApplicationShutdown, Optional } from '@nestjs/common';
import { IEventHandler } from '@nestjs/cqrs';
import {
  OutboxEvent,
  OutboxEventsHandler,
  OutboxWriter,
  registerOutboxEvent,
  retryOnConflict,
  UnitOfWork,
} from '@tally/database';
import { GroupCommit, Settled, TallyEnv } from '@tally/shared';
import { canMove, type JobAuditEvent, MOVES } from '../../domain';
import { JOB_AUDIT } from '../../events/jobs.events';
import { JobRepository } from '../../persistence/job.repository';
import { JobReceipts } from '../../payments/job-receipts.port';

export class JobAuditPublished extends OutboxEvent<JobAuditEvent> {}
registerOutboxEvent(JOB_AUDIT, JobAuditPublished);

/**
 * Appends each JobAuditEvent to the audit log once (by event_id), and moves a COMPLETED
 * job to AUDITED once both its settlement receipt and its COMPLETED audit entry are
 * recorded. The receipt is written with the COMPLETED transition itself, so the audit
 * entry is the one that comes second: the statement that records it moves the job, under
 * the job's row lock. Events that arrive together are recorded in one statement.
 */
@OutboxEventsHandler(JobAuditPublished)
export class JobAuditRecorder implements IEventHandler<JobAuditPublished>, BeforeApplicationShutdown {
  private readonly batches = new GroupCommit<JobAuditEvent, void>((events) => this.recordAll(events), {
    inline: () => this.uow.active,
  });

  constructor(
    private readonly uow: UnitOfWork,
    private readonly jobs: JobRepository,
    private readonly outbox: OutboxWriter,
    private readonly env: TallyEnv,
    @Optional() private readonly receipts?: JobReceipts,
  ) {}

  handle(event: JobAuditPublished): Promise<void> {
    // AUDIT_CONSUMER=broker: the broker feeds this recorder (JobAuditBrokerFeed), not the bus.
    if (this.env.AUDIT_CONSUMER === 'broker') return Promise.resolve();
    return this.record(event.payload);
  }

  /** Records one audit entry (batched with those that arrive together); idempotent by event_id. */
  record(event: JobAuditEvent): Promise<void> {
    return this.batches.submit(event);
  }

  private async recordAll(events: JobAuditEvent[]): Promise<Settled<void>[]> {
    const completed = [
      ...new Set(events.filter((e) => canMove<string>(MOVES.audit, e.status)).map((e) => e.network_job_id)),
    ];
    const receipted = this.receipts ? await this.receipts.withSettlementReceipt(completed) : new Set(completed);
    const audited = await retryOnConflict(() =>
      this.jobs.recordAudits(
        events,
        completed.filter((id) => receipted.has(id)),
      ),
    );
    this.outbox.written(audited);
    return events.map(() => ({ value: undefined }));
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.batches.idle();
  }
}
