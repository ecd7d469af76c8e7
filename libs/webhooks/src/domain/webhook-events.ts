/**
 * The event types a subscription may name (outbox types, as docs/events.md lists them). Who
 * sees which event is decided by `maySee` (visibility/), as for live streams.
 */
export const JOB_EVENT_TYPES = [
  'JobSubmitted',
  'JobAssigned',
  'JobRequeued',
  'JobCompleted',
  'JobFailed',
  'JobCancelled',
] as const;
export const LEDGER_EVENT_TYPES = [
  'TransferPosted',
  'HoldPlaced',
  'HoldCaptured',
  'HoldVoided',
  'HoldExpired',
] as const;
export const ALERT_EVENT_TYPES = ['BalanceAlertTriggered'] as const;
export const WEBHOOK_EVENT_TYPES: readonly string[] = [...JOB_EVENT_TYPES, ...LEDGER_EVENT_TYPES, ...ALERT_EVENT_TYPES];

/** Who a subscription belongs to: an admin sees every event, a client those of its jobs and account. */
export interface WebhookOwner {
  role: 'admin' | 'client';
  subject: string;
}
