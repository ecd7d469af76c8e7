/** The seed audit event, kept verbatim (docs/architecture.md §5). */
export interface JobAuditEvent {
  /** The job's int64 id as a decimal string (proto3 JSON writes an int64 so). */
  network_job_id: string;
  timestamp: string;
  client_job_id: string | null;
  prover_id: string | null;
  status: string;
  final_cost_micros: string | null;
  error_message: string | null;
  event_id: string;
}
