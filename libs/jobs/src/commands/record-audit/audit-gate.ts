import { Injectable, Optional } from '@nestjs/common';
import { OutboxWriter, UnitOfWork } from '@tally/database';
import { JobRepository, JobRow } from '../../persistence/job.repository';
import { JobReceipts } from '../../settlement/job-receipts.port';

/**
 * COMPLETED → AUDITED once BOTH the job's settlement receipt and its audit event are
 * recorded. Whichever is recorded second moves the job: both callers hold the job's row
 * lock, so the check and the move never race, and the move happens once.
 */
@Injectable()
export class AuditGate {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly jobs: JobRepository,
    private readonly outbox: OutboxWriter,
    @Optional() private readonly receipts?: JobReceipts,
  ) {}

  /** Call with the job row locked in the current unit of work. */
  async moveIfReady(job: JobRow | null): Promise<boolean> {
    if (job?.status !== 'COMPLETED') return false;
    const id = job.network_job_id;
    if (this.receipts && !(await this.receipts.hasSettlementReceipt(id))) return false;
    const audited: unknown[] = await this.uow.tx.query(
      `SELECT 1 FROM job_audit_log WHERE network_job_id = $1 AND event->>'status' = 'COMPLETED' LIMIT 1`,
      [id],
    );
    if (audited.length === 0) return false;
    await this.jobs.transition(id, 'AUDITED');
    await this.outbox.append('JobAudited', id, { network_job_id: id, status: 'AUDITED' });
    return true;
  }
}
