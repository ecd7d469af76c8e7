import { Command } from '@nestjs/cqrs';
import type { PayloadEncoding, Priority } from '../../domain';
import type { JobRow } from '../../persistence/job.repository';

export interface SubmitJobInput {
  clientId: string;
  clientJobId: string | null;
  payload: unknown;
  payloadEncoding: PayloadEncoding;
  maxCostMicros: bigint;
  priority: Priority;
  service: string | null;
  units: string | null;
  requirements: Record<string, unknown>;
  replicas: number;
  /** Hash of the request as sent, to tell a resubmission from a conflicting reuse of client_job_id. */
  requestHash: string;
}

/** Creates a job and holds its credits in escrow, in one transaction. */
export class SubmitJobCommand extends Command<{ job: JobRow; replayed: boolean }> {
  constructor(readonly input: SubmitJobInput) {
    super();
  }
}
