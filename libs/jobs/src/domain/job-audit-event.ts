import type { JobStatus } from './job-status';

/**
 * The seed audit event (docs/architecture.md §5) in the proto3 JSON mapping (docs/api.md,
 * "Events"): int64 as decimal strings, `status` the JobStatus name, `timestamp` RFC 3339.
 */
export interface JobAuditEvent {
  /** The job's int64 id as a decimal string (proto3 JSON writes an int64 so). */
  network_job_id: string;
  timestamp: string;
  client_job_id: string | null;
  prover_id: string | null;
  status: JobStatus;
  final_cost_micros: string | null;
  error_message: string | null;
  event_id: string;
}
