import type { Principal } from '@tally/auth';
import { JOB_ASSIGNED, JOB_CANCELLED } from '@tally/jobs';

/** Who an event concerns, as the stream's read of the outbox learns it (see EventStreams). */
export interface EventOwners {
  /** The client of the job the event is about (from the jobs table: most job events name only the job). */
  job_client: string | null;
  /** The accounts a ledger event's transfer moves. */
  accounts: { kind: string; owner: string }[] | null;
}

/** An outbox event with its owners, as a stream decides whether to show it. */
export interface OwnedEvent {
  type: string;
  payload: Record<string, unknown>;
  owners: EventOwners;
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
      return (
        event.owners.job_client === principal.subject ||
        (event.owners.accounts ?? []).some((a) => a.kind === 'user' && a.owner === principal.subject)
      );
    case 'prover':
      return proversTold(event).includes(principal.subject);
    default:
      return false;
  }
}
