import { Injectable } from '@nestjs/common';
import type { Principal } from '@tally/auth';
import { UnitOfWork } from '@tally/database';
import { ANY_OBJECT_SCHEMA, bodyFieldErrors, ServiceRegistry } from '@tally/services';
import { NotFoundError, nullableInt64ToJson, nullableTimestampToJson } from '@tally/shared';
import { DECIDED, decideStoredReports, JobNotFoundError, REPLICA_MOVES } from '../../domain';
import { JobRepository } from '../../persistence/job.repository';

/** A replica's reported result, with the metadata its prover attached. */
interface ReportedReplica {
  prover_id: string;
  status: string;
  success: boolean;
  final_cost_micros: string | null;
  result_hash: string | null;
  result_metadata: Record<string, unknown> | null;
}

/** The result of a job as its client reads it (GET /v1/jobs/{id}/result). */
export interface JobResult {
  network_job_id: string;
  service: string | null;
  service_version: string | null;
  result_hash: string | null;
  /** The majority replica's metadata (the first, by replica order, that sent any), or null. */
  result: Record<string, unknown> | null;
  /** Whether `result` satisfies the service's result schema at the job's version ({"type":"object"} without a service). */
  result_valid: boolean;
  result_errors: { field: string; message: string }[];
  /** The provers whose results agreed (the majority), in id order. */
  provers: string[];
  final_cost_micros: string | null;
  completed_at: string | null;
}

/**
 * The result a job's majority agreed on, for its client or an admin. The majority is decided
 * again from the stored reports by the same rule that settled the job (decideReplicas).
 * Metadata that does not satisfy the result schema is still returned, flagged invalid with
 * its errors: the prover was paid for it, and the client should see what it sent.
 */
@Injectable()
export class JobResultQuery {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly jobs: JobRepository,
    private readonly registry: ServiceRegistry,
  ) {}

  async of(id: string, principal: Principal): Promise<JobResult> {
    const job = await this.jobs.find(id);
    // Someone else's job is as unknown to the caller as one that does not exist (as on GET).
    if (!job || (principal.role !== 'admin' && job.client_id !== principal.subject)) throw new JobNotFoundError(id);
    if (!DECIDED.includes(job.status)) {
      throw new NotFoundError(
        `job ${id} is ${job.status}: it has no result${job.status === 'FAILED' || job.status === 'CANCELLED' ? '' : ' yet'}`,
        { network_job_id: id, job_status: job.status },
      );
    }
    const replicas: ReportedReplica[] = await this.uow.tx.query(
      `SELECT prover_id, status, success, final_cost_micros::text, result_hash, result_metadata
       FROM job_assignments WHERE network_job_id = $1 AND status = $2 ORDER BY replica`,
      [id, REPLICA_MOVES.report.to],
    );
    const decision = decideStoredReports(job.replicas, replicas);
    // A job settled COMPLETED by an admin (not by reports) has no majority to show.
    const majority = decision.kind === 'completed' ? decision.majority : [];
    const agreeing = replicas.filter((r) => majority.includes(r.prover_id));
    const result = agreeing.find((r) => r.result_metadata !== null)?.result_metadata ?? null;
    const schema = job.service
      ? (await this.registry.get(job.service, job.service_version ? Number(job.service_version) : undefined))
          .resultSchema
      : ANY_OBJECT_SCHEMA;
    const errors =
      result === null
        ? [{ field: '/', message: 'no result metadata was reported' }]
        : (bodyFieldErrors(schema, 'result_schema', result) ?? []);
    return {
      network_job_id: job.network_job_id,
      service: job.service,
      service_version: nullableInt64ToJson(job.service_version),
      result_hash: agreeing[0]?.result_hash ?? null,
      result,
      result_valid: errors.length === 0,
      result_errors: errors,
      provers: majority,
      final_cost_micros: nullableInt64ToJson(job.final_cost_micros),
      completed_at: nullableTimestampToJson(job.completed_at),
    };
  }
}
