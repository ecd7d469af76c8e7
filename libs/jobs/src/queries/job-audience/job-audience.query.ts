import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@tally/database';

/** Who a job concerns: its client and every prover holding a replica of it now. */
export interface JobAudience {
  clientId: string;
  provers: string[];
}

/** A job's audience, for the libs that guard what they show about a job (receipts). */
@Injectable()
export class JobAudienceQuery {
  constructor(private readonly uow: UnitOfWork) {}

  /**
   * The client of the job whose id is the SQL text expression `jobId` (null when it is not a
   * job id or names no job), as an SQL expression for another lib's statement (the event
   * streams learn whose job an event is about in the statement that reads the events).
   */
  static clientIdSql(jobId: string): string {
    return `(SELECT j.client_id FROM jobs j
             WHERE j.network_job_id = CASE WHEN ${jobId} ~ '^[0-9]{1,18}$' THEN (${jobId})::bigint END)`;
  }

  /** The job's client and the provers of its replicas; null when there is no such job. */
  async of(jobId: string): Promise<JobAudience | null> {
    const rows: { client_id: string; provers: string[] }[] = await this.uow.tx.query(
      `SELECT j.client_id,
              ARRAY(SELECT a.prover_id FROM job_assignments a WHERE a.network_job_id = j.network_job_id) AS provers
       FROM jobs j WHERE j.network_job_id = $1`,
      [jobId],
    );
    return rows[0] ? { clientId: rows[0].client_id, provers: rows[0].provers } : null;
  }
}
