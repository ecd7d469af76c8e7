import { EventsHandler, IEventHandler } from '@nestjs/cqrs';
import { OutboxEvent, OutboxWriter, registerOutboxEvent, UnitOfWork } from '@tally/database';
import type { JobAuditEvent } from '../../domain';
import { JobRepository } from '../../persistence/job.repository';

export class JobAuditPublished extends OutboxEvent<JobAuditEvent> {}
registerOutboxEvent('JobAudit', JobAuditPublished);

/**
 * Appends each JobAuditEvent to the audit log once (by event_id), and then moves a
 * COMPLETED job to AUDITED, in one transaction.
 */
@EventsHandler(JobAuditPublished)
export class JobAuditRecorder implements IEventHandler<JobAuditPublished> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly jobs: JobRepository,
    private readonly outbox: OutboxWriter,
  ) {}

  async handle(event: JobAuditPublished): Promise<void> {
    const audit = event.payload;
    await this.uow.run(async () => {
      const job = await this.jobs.find(audit.network_job_id, true);
      if (!(await this.jobs.appendAudit(audit.event_id, audit.network_job_id, audit))) return;
      if (job?.status === 'COMPLETED') {
        await this.jobs.transition(job.network_job_id, 'AUDITED');
        await this.outbox.append('JobAudited', job.network_job_id, {
          network_job_id: job.network_job_id,
          status: 'AUDITED',
        });
      }
    });
  }
}
