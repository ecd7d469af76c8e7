import type { DomainError } from '@tally/shared';
import type { JobRow } from '../../persistence/job.repository';

/**
 * Whether named provers may take a job, for an admin's assignment: the scheduler lib
 * provides it (jobs does not depend on provers or the scheduler), with the same rules as
 * its own choice. Without it, the admin route checks only the job.
 */
export abstract class AssignmentCheck {
  /** Why these provers may not take this job, or null when they may (in the assigning transaction). */
  abstract refusal(job: JobRow, proverIds: string[]): Promise<DomainError | null>;
}
