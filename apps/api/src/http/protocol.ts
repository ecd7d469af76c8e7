import type { FastifyReply } from 'fastify';
import { CURRENT_PROTOCOL_VERSION, PROTOCOL_VERSION_HEADER } from '@tally/shared';

/** The protocol version this build implements: OpenAPI's version, and what answers before any check carry. */
export const PROTOCOL_VERSION = CURRENT_PROTOCOL_VERSION;

/** Request bodies over this size are refused with 413 (JSON and raw alike). */
export const BODY_LIMIT_BYTES = 10 * 1024 * 1024;

/** The headers every response carries, errors included: the protocol version served and the request id. */
export function stampResponse(reply: FastifyReply, requestId: string, version = PROTOCOL_VERSION): void {
  reply.header(PROTOCOL_VERSION_HEADER, version).header('X-Request-Id', requestId);
}
