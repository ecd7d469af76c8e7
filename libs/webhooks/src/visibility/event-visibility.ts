import type { Principal } from '@tally/auth';
import type { OutboxFeedRow } from '@tally/database';
import { JOB_ASSIGNED, JOB_CANCELLED, JobAudienceQuery } from '@tally/jobs';
import { BALANCE_ALERT_TRIGGERED, type TransferEventLeg } from '@tally/ledger';

/** An outbox event as a reader (a live stream, a webhook subscription) decides whether to show it. */
export interface OwnedEvent {
  type: string;
  payload: Record<string, unknown>;
  /**
   * The client of the job the event is about, looked up by the job it names (most job
   * events name only the job; the jobs table says whose it is).
   */
  jobClient: string | null;
}

/**
 * What an outbox reader composes into each row it reads (OutboxFeed's `extra`) so that
 * `ownedEvent` can tell whose it is: the client of the job it names.
 */
export const EVENT_OWNERS_SQL = `json_build_object(
  'job_client', ${JobAudienceQuery.clientIdSql(`COALESCE(o.payload->>'network_job_id', o.payload->>'job_id')`)})`;

/** A row read with EVENT_OWNERS_SQL. */
export type OwnedFeedRow = OutboxFeedRow<{ job_client: string | null }>;

export const ownedEvent = (row: OwnedFeedRow): OwnedEvent => ({
  type: row.event_type,
  payload: row.payload,
  jobClient: row.extra.job_client,
});

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

/** The provers an event tells about their own work: a job assigned to them, or called off. */
function proversTold(event: OwnedEvent): string[] {
  if (event.type === JOB_ASSIGNED) return strings(event.payload.provers);
  if (event.type === JOB_CANCELLED) {
    const { prover_id, assigned_provers } = event.payload;
    return [...strings(assigned_provers), ...(typeof prover_id === 'string' ? [prover_id] : [])];
  }
  return [];
}

/** The clients whose own (`user`) account the event is about: a transfer's legs, or an alert's account. */
function clientAccounts(event: OwnedEvent): string[] {
  const { payload } = event;
  if (event.type === BALANCE_ALERT_TRIGGERED) {
    return payload.account_type === 'user' && typeof payload.account_id === 'string' ? [payload.account_id] : [];
  }
  const legs = Array.isArray(payload.legs) ? (payload.legs as Partial<TransferEventLeg>[]) : [];
  return legs.filter((l) => l.account_type === 'user' && typeof l.account_id === 'string').map((l) => l.account_id!);
}

/**
 * Who may see an event, the one place this is decided for live streams and webhooks alike:
 * an admin sees everything; a client the events of its own jobs, and the transfers and
 * balance alerts of its own (`user`) account; a prover the jobs assigned to it and their
 * cancellations.
 */
export function maySee(principal: Pick<Principal, 'role' | 'subject'>, event: OwnedEvent): boolean {
  switch (principal.role) {
    case 'admin':
      return true;
    case 'client':
      return event.jobClient === principal.subject || clientAccounts(event).includes(principal.subject);
    case 'prover':
      return proversTold(event).includes(principal.subject);
    default:
      return false;
  }
}
