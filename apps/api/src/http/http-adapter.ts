import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { writeClientErrorProblem, writeFrameworkProblem } from './problem-details.filter';
import { BODY_LIMIT_BYTES } from './protocol';

const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/** A caller's X-Request-Id when it is sane (printable ASCII, at most 128), otherwise a new one. */
export function requestIdOf(req: Pick<IncomingMessage, 'headers'>): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * The HTTP server: Fastify, for its per-request cost (about a quarter of Express's under
 * Nest on this kind of machine, which is what a hot account's throughput is bound by).
 * main.ts and the e2e tests both build it here, so tests run what production runs.
 */
export function createHttpAdapter(): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: false,
    keepAliveTimeout: 65_000,
    genReqId: requestIdOf,
    routerOptions: {
      // As before (Express): `/v1/x/` is `/v1/x`; ids in paths may be long (DTOs bound them).
      ignoreTrailingSlash: true,
      maxParamLength: 2048,
    },
    // Requests Fastify refuses before any route or hook runs (a malformed URL, say).
    frameworkErrors: writeFrameworkProblem,
    // Requests Node's HTTP parser refuses before Fastify sees one (malformed framing).
    clientErrorHandler: writeClientErrorProblem,
  });
}

/**
 * The Nest application options that go with this adapter: configureApp() registers the body
 * parsers itself (bodyParser off), bodies keep their raw bytes for request signatures, and
 * a failing start rejects instead of exiting the process.
 */
export const HTTP_APP_OPTIONS = { bodyParser: false, rawBody: true, abortOnError: false } as const;
