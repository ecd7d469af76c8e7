import { EventsHandler, IEventHandler } from '@nestjs/cqrs';
import { OutboxEvent, registerOutboxEvent, UnitOfWork } from '@tally/database';
import type { JobAuditEvent } from '../../domain';
import { JobRepository } from '../../persistence/job.repository';
import { AuditGate } from './audit-gate';

export class JobAuditPublished extends OutboxEvent<JobAuditEvent> {}
registerOutboxEvent('JobAudit', JobAuditPublished);

/**
 * Appends each JobAuditEvent to the audit log once (by event_id), and then moves a
 * COMPLETED job to AUDITED if its settlement receipt is recorded too, in one transaction.
 */
@EventsHandler(JobAuditPublished)
export class JobAuditRecorder implements IEventHandler<JobAuditPublished> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly jobs: JobRepository,
    private readonly gate: AuditGate,
  ) {}

  async handle(event: JobAuditPublished): Promise<void> {
    const audit = event.payload;
    await this.uow.run(async () => {
      const job = await this.jobs.find(audit.network_job_id, true);
      if (!(await this.jobs.appendAudit(audit.event_id, audit.network_job_id, audit))) return;
      await this.gate.moveIfReady(job);
    });
  }
}
