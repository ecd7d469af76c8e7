import type { Principal } from '@tally/auth';
import { JOB_ASSIGNED, JOB_CANCELLED } from '@tally/jobs';
import type { TransferEventLeg } from '@tally/ledger';

/** An outbox event as a stream decides whether to show it. */
export interface OwnedEvent {
  type: string;
  payload: Record<string, unknown>;
  /**
   * The client of the job the event is about, looked up by the job it names (most job
   * events name only the job; the jobs table says whose it is).
   */
  jobClient: string | null;
}

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

/** The clients whose own (`user`) account a transfer event moves (its `legs`). */
function clientAccounts(event: OwnedEvent): string[] {
  const legs = Array.isArray(event.payload.legs) ? (event.payload.legs as Partial<TransferEventLeg>[]) : [];
  return legs.filter((l) => l.account_type === 'user' && typeof l.account_id === 'string').map((l) => l.account_id!);
}

/**
 * Who may see an event on a live stream, the one place this is decided: an admin sees
 * everything; a client the events of its own jobs and the transfers on its own (`user`)
 * account; a prover the jobs assigned to it and their cancellations.
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
