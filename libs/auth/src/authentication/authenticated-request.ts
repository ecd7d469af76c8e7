import type { FastifyRequest } from 'fastify';
import type { Principal } from '../domain/api-key';

/** A request after the API key guard: `principal` is set on guarded routes. */
export interface AuthenticatedRequest extends FastifyRequest {
  principal?: Principal;
  /** Whether the request's key is still valid now (for a long request: was it revoked meanwhile?). */
  stillAuthenticated?: () => Promise<boolean>;
  /** The body's bytes, kept by the body parsers (the app is created with `rawBody: true`). */
  rawBody?: Buffer;
}
