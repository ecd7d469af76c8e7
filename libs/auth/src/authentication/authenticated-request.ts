import type { FastifyRequest } from 'fastify';
import type { Principal } from '../domain/api-key';

/** A request after the API key guard: `principal` is set on guarded routes. */
export interface AuthenticatedRequest extends FastifyRequest {
  principal?: Principal;
  /** The body's bytes, kept by the body parsers (the app is created with `rawBody: true`). */
  rawBody?: Buffer;
}
