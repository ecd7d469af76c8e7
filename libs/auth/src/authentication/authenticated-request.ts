import type { Request } from 'express';
import type { Principal } from '../domain/api-key';

/** An Express request after the API key guard: `principal` is set on guarded routes. */
export interface AuthenticatedRequest extends Request {
  principal?: Principal;
  /** Set by the JSON and raw body parsers (the app is created with `rawBody: true`). */
  rawBody?: Buffer;
}
