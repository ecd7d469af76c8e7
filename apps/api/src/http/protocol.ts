import type { FastifyReply } from 'fastify';

/** The wire protocol version: the X-Protocol-Version header of every response, and OpenAPI's version. */
export const PROTOCOL_VERSION = '1';

/** Request bodies over this size are refused with 413 (JSON and raw alike). */
export const BODY_LIMIT_BYTES = 10 * 1024 * 1024;

/** The headers every response carries, errors included. */
export function stampResponse(reply: FastifyReply, requestId: string): void {
  reply.header('X-Protocol-Version', PROTOCOL_VERSION).header('X-Request-Id', requestId);
}
