import type { Role } from '../domain/role';

export const CONTROL_ACTION = 'tally:control-action';

export interface ControlActionOptions {
  /** Only when the caller has one of these roles (a route clients use too: only admins' calls are control actions). */
  roles?: Role[];
  /** The route's refusals are recorded by the action itself (ledger postings): see ControlRunOptions. */
  keepsRejections?: boolean;
  /** The fields the log keeps of the request's body, where the whole body is too big to keep (a batch). */
  fields?: (body: unknown) => Record<string, unknown>;
}

export interface ControlActionMetadata extends ControlActionOptions {
  action: string;
}
