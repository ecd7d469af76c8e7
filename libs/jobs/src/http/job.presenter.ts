import { enumToJson, int64ToJson, nullableInt64ToJson, nullableTimestampToJson, timestampToJson } from '@tally/shared';
import { JOB_STATUSES, PRIORITIES, REPLICA_STATUSES } from '../domain';
import type { AssignmentRow, JobRow } from '../persistence/job.repository';
import type { JobToRun } from '../queries/prover-replicas/prover-replicas.query';

/** A job as the API shows it, in the proto3 JSON mapping (int64 micros and version as strings). */
export function presentJob(job: JobRow, assignments: AssignmentRow[]) {
  const provers = assignments.map((a) => a.prover_id);
  return {
    network_job_id: job.network_job_id,
    client_job_id: job.client_job_id,
    client_id: job.client_id,
    status: enumToJson(JOB_STATUSES, job.status),
    priority: enumToJson(PRIORITIES, job.priority),
    replicas: job.replicas,
    service: job.service,
    service_version: nullableInt64ToJson(job.service_version),
    units: job.units,
    requirements: job.requirements,
    assigned_prover: job.replicas === 1 ? (provers[0] ?? null) : provers,
    assignments: assignments.map((a) => ({
      prover_id: a.prover_id,
      status: enumToJson(REPLICA_STATUSES, a.status),
      success: a.success,
      final_cost_micros: nullableInt64ToJson(a.final_cost_micros),
      result_hash: a.result_hash,
      reward_micros: nullableInt64ToJson(a.reward_micros),
    })),
    max_cost_micros: int64ToJson(job.max_cost_micros),
    held_micros: int64ToJson(job.held_micros),
    final_cost_micros: nullableInt64ToJson(job.final_cost_micros),
    refunded_micros: nullableInt64ToJson(job.refunded_micros),
    platform_fee_micros: nullableInt64ToJson(job.platform_fee_micros),
    error_message: job.error_message,
    version: int64ToJson(job.version),
    timestamps: {
      submitted_at: timestampToJson(job.submitted_at),
      assigned_at: nullableTimestampToJson(job.assigned_at),
      started_at: nullableTimestampToJson(job.started_at),
      completed_at: nullableTimestampToJson(job.completed_at),
      failed_at: nullableTimestampToJson(job.failed_at),
      cancelled_at: nullableTimestampToJson(job.cancelled_at),
      audited_at: nullableTimestampToJson(job.audited_at),
    },
    dispute: presentDispute(job),
  };
}

/** A job's dispute window as the API shows it; null for a job whose rewards were paid at settlement. */
function presentDispute(job: JobRow) {
  if (job.dispute_closes_at === null) return null;
  return {
    closes_at: timestampToJson(job.dispute_closes_at),
    pending_rewards: (job.pending_rewards ?? []).map((r) => ({
      prover_id: r.prover_id,
      reward_micros: int64ToJson(r.amount_micros),
    })),
    disputed_at: nullableTimestampToJson(job.disputed_at),
    reason: job.dispute_reason,
    resolved_at: nullableTimestampToJson(job.resolved_at),
    outcome: job.dispute_outcome,
    refund_micros: nullableInt64ToJson(job.dispute_refund_micros),
  };
}

/** A job as its prover receives it to run (REST's poll answer, a gRPC stream's assignment). */
export function presentJobToRun(job: JobToRun | JobRow) {
  return {
    network_job_id: job.network_job_id,
    // As the client sent it: the JSON value, or the base64 text of the bytes.
    payload: job.payload_encoding === 'base64' ? (job.payload as { base64: string }).base64 : job.payload,
    payload_encoding: job.payload_encoding,
    max_cost_micros: job.max_cost_micros,
    priority: job.priority,
    replicas: job.replicas,
    requirements: job.requirements,
    service: job.service,
    units: job.units,
  };
}

/** The moments a job's row records, each the instant it entered that status, in lifecycle order. */
const TRANSITION_TIMES = [
  ['PENDING', 'submitted_at'],
  ['ASSIGNED', 'assigned_at'],
  ['RUNNING', 'started_at'],
  ['COMPLETED', 'completed_at'],
  ['DISPUTED', 'disputed_at'],
  // A resolved dispute makes the job COMPLETED again.
  ['COMPLETED', 'resolved_at'],
  ['FAILED', 'failed_at'],
  ['CANCELLED', 'cancelled_at'],
  ['AUDITED', 'audited_at'],
] as const satisfies readonly (readonly [JobRow['status'], keyof JobRow])[];

/**
 * A job's timeline: each status it entered and when (in time order, lifecycle order on a tie),
 * its replicas, and its money: what was held, captured (the platform fee and the provers'
 * rewards) and refunded.
 */
export function presentTimeline(job: JobRow, assignments: AssignmentRow[]) {
  const transitions = TRANSITION_TIMES.flatMap(([status, column]) => {
    const at = job[column] as Date | null;
    return at ? [{ status, at: new Date(at) }] : [];
  })
    .map((t, order) => ({ ...t, order }))
    .sort((a, b) => a.at.getTime() - b.at.getTime() || a.order - b.order)
    .map(({ status, at }) => ({ status, at: timestampToJson(at) }));
  return {
    network_job_id: job.network_job_id,
    status: enumToJson(JOB_STATUSES, job.status),
    transitions,
    assignments: assignments.map((a) => ({
      prover_id: a.prover_id,
      replica: a.replica,
      status: enumToJson(REPLICA_STATUSES, a.status),
      assigned_at: timestampToJson(a.assigned_at),
      started_at: nullableTimestampToJson(a.started_at),
      reported_at: nullableTimestampToJson(a.reported_at),
      result_hash: a.result_hash,
    })),
    money: {
      held_micros: int64ToJson(job.held_micros),
      captured_micros: int64ToJson(job.final_cost_micros ?? capturedSoFar(job)),
      fee_micros: int64ToJson(job.platform_fee_micros ?? '0'),
      refunded_micros: int64ToJson(job.refunded_micros ?? '0'),
      rewards: assignments
        .filter((a) => a.reward_micros !== null)
        .map((a) => ({ prover_id: a.prover_id, amount_micros: int64ToJson(a.reward_micros!) })),
    },
  };
}

/** What a job without a final cost has captured: its metered usage, less whatever a refund gave back. */
function capturedSoFar(job: JobRow): string {
  if (job.refunded_micros === null) return job.metered_micros;
  return (BigInt(job.held_micros) - BigInt(job.refunded_micros)).toString();
}

/** A metered job's usage as its last report left it. */
export function presentUsage(job: JobRow) {
  return {
    network_job_id: job.network_job_id,
    units: job.metered_units ?? '0',
    metered_micros: int64ToJson(job.metered_micros),
    reward_micros: int64ToJson((BigInt(job.metered_micros) - BigInt(job.metered_fee_micros)).toString()),
    held_micros: int64ToJson((BigInt(job.held_micros) - BigInt(job.metered_micros)).toString()),
  };
}
