/** The seed audit event, kept verbatim (docs/architecture.md §5). */
export interface JobAuditEvent {
  network_job_id: string;
  timestamp: string;
  client_job_id: string | null;
  prover_id: string | null;
  status: string;
  final_cost_micros: string | null;
  error_message: string | null;
  event_id: string;
}
