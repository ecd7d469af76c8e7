import { Command } from '@nestjs/cqrs';
import type { JobRow } from '../../persistence/job.repository';

/** PENDING → ASSIGNED to as many distinct provers as the job has replicas (the admin route's command). */
export class AssignJobCommand extends Command<JobRow> {
  constructor(
    readonly jobId: string,
    readonly proverIds: string[],
  ) {
    super();
  }
}

/**
 * Several jobs assigned at once, all or nothing, with a handful of statements for the whole
 * batch (the scheduler's command: one per tick batch instead of one per job).
 */
export class AssignJobsCommand extends Command<JobRow[]> {
  constructor(
    readonly assignments: { jobId: string; proverIds: string[] }[],
    /** The scorecards the assigner saw (for the receipts); read in the transaction when absent. */
    readonly scorecards?: Map<string, { version: string; score: string }>,
  ) {
    super();
  }
}
