import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { OutboxWriter, UnitOfWork } from '@tally/database';
import { JobRepository } from '../../persistence/job.repository';
import { DisputePayments } from '../../payments/dispute-payments';
import { CloseDisputeWindowsCommand } from './close-dispute-windows.command';

/** Jobs per sweep transaction: each locks the platform account for its postings, so a batch stays short. */
const SWEEP_LIMIT = 100;

@CommandHandler(CloseDisputeWindowsCommand)
export class CloseDisputeWindowsCommandHandler implements ICommandHandler<CloseDisputeWindowsCommand, number> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly jobs: JobRepository,
    private readonly disputes: DisputePayments,
    private readonly outbox: OutboxWriter,
  ) {}

  execute(): Promise<number> {
    return this.uow.run(async () => {
      // Locked as read, skipping any another sweep (or a dispute) holds: each window closes once.
      const due = await this.jobs.closedWindows(SWEEP_LIMIT);
      for (const job of due) if (job.pending_rewards !== null) await this.disputes.release(job);
      const audited = await this.jobs.auditClosedWindows(due.map((j) => j.network_job_id));
      this.outbox.written(audited);
      return due.length;
    });
  }
}
