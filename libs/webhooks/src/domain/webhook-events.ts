/**
 * The event types a subscription may name (outbox types, as docs/events.md lists them), and
 * which of a caller's resources each concerns: a job's client, or an account's owner.
 */
export const JOB_EVENT_TYPES = [
  'JobSubmitted',
  'JobAssigned',
  'JobRequeued',
  'JobCompleted',
  'JobFailed',
  'JobCancelled',
] as const;
export const ALERT_EVENT_TYPES = ['BalanceAlertTriggered'] as const;
export const WEBHOOK_EVENT_TYPES: readonly string[] = [...JOB_EVENT_TYPES, ...ALERT_EVENT_TYPES];

/** Who a subscription belongs to: an admin sees every event, a client those of its jobs and account. */
export interface WebhookOwner {
  role: 'admin' | 'client';
  subject: string;
}

/** The client whose resource an event concerns (null: none, only admins see it). */
export interface EventAudience {
  clientId: string | null;
}

export function ownerSees(owner: WebhookOwner, audience: EventAudience): boolean {
  return owner.role === 'admin' || (audience.clientId !== null && audience.clientId === owner.subject);
}
