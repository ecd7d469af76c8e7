import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import {
  DomainError,
  ERROR_TITLES,
  ErrorCode,
  ForbiddenError,
  InvalidRequestError,
  PayloadTooLargeError,
  RateLimitedError,
  MethodNotAllowedError,
  RouteNotFoundError,
  UnauthenticatedError,
  UnavailableError,
} from '@tally/shared';
import { isConnectionLoss } from '@tally/database';
import { RouteMethods } from './route-methods';
import { statusForError } from './error-status';
import { problemType } from './problem-type';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
import { BODY_LIMIT_BYTES, PROTOCOL_VERSION, stampResponse } from './protocol';

const logger = new Logger('Errors');
const bodyTooLarge = () => new PayloadTooLargeError(`request body exceeds ${BODY_LIMIT_BYTES / (1024 * 1024)} MB`);
const unsupportedMediaType = () => new InvalidRequestError('unsupported Content-Type: send application/json');

/**
 * Every error leaves as RFC 9457 problem+json with its DSE code. Unknown errors are
 * DSE-007: logged with the request id, never echoed to the caller.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  /** `routes`: the methods each path takes, to answer 405 rather than 404 for a path under another method. */
  constructor(private readonly routes?: RouteMethods) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    writeProblem(exception, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>(), this.routes);
  }
}

/** For the errors Fastify answers itself, before routing (`frameworkErrors`): same shape, same headers. */
export function writeFrameworkProblem(error: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  stampResponse(reply, req.id);
  writeProblem(error, req, reply);
}

/**
 * For requests Node's HTTP parser refuses before Fastify sees them (a malformed request
 * line or header, a bad Content-Length or chunk, headers over the limit, a request that
 * timed out): the same problem+json, written on the socket, which is then closed.
 */
export function writeClientErrorProblem(error: { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, detail] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'request headers are too large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'the request was not received in time']
        : [400, 'malformed HTTP request'];
  const requestId = randomUUID();
  const body = problemJson(new InvalidRequestError(detail), status, requestId);
  // As Node does: no answer if this connection's current response has started already.
  const current = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !current?.headersSent) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nX-Protocol-Version: ${PROTOCOL_VERSION}\r\n` +
        `X-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/** The DSE code each refused response carried, by its raw response (read by the metrics). */
export const problemCodes = new WeakMap<object, string>();

function writeProblem(exception: unknown, req: FastifyRequest, reply: FastifyReply, routes?: RouteMethods): void {
  const error = toDomainError(exception, req, routes);
  const status = statusForError(error);
  problemCodes.set(reply.raw, error.code);
  if (error.code === ErrorCode.Internal) {
    logger.error({ err: exception, request_id: req.id }, 'unhandled error');
  }
  if (reply.sent || reply.raw.headersSent) return;
  if ((error instanceof RateLimitedError || error instanceof UnavailableError) && !reply.hasHeader('Retry-After'))
    reply.header('Retry-After', String(error.retryAfterSeconds));
  if (error instanceof MethodNotAllowedError) reply.header('Allow', error.allowed.join(', '));
  void reply
    .status(status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(problemJson(error, status, req.id, req.originalUrl ?? req.url));
}

/** Where one code serves two statuses (docs/architecture.md §6: DSE-002 is 401 or 403), the title follows the status. */
const TITLE_BY_STATUS: Partial<Record<ErrorCode, Record<number, string>>> = {
  [ErrorCode.Unauthorized]: { 403: 'Forbidden' },
  [ErrorCode.InvalidRequest]: { 405: 'Method not allowed', 413: 'Payload too large' },
};

export function titleOf(code: ErrorCode, status: number): string {
  return TITLE_BY_STATUS[code]?.[status] ?? ERROR_TITLES[code];
}

/** An error's RFC 9457 body: its DSE code as type and code, its message as detail, its details beside. */
function problemJson(error: DomainError, status: number, requestId: string, instance?: string): string {
  const problem: Record<string, unknown> = {
    type: problemType(error.code),
    title: titleOf(error.code, status),
    status,
    detail: error.message,
    code: error.code,
    instance,
    request_id: requestId,
  };
  // A detail never replaces a member RFC 9457 (or this API) defines: `status` stays the HTTP status.
  for (const [name, value] of Object.entries(error.details ?? {})) if (!(name in problem)) problem[name] = value;
  return JSON.stringify(problem);
}

function toDomainError(exception: unknown, req: FastifyRequest, routes?: RouteMethods): DomainError {
  if (exception instanceof DomainError) return exception;
  if (exception instanceof ThrottlerException) return new RateLimitedError(60);
  // The client hung up while its body was read (Node's own error for that): nobody to
  // answer and nothing wrong here, so not an internal error (and not logged as one). A
  // database connection reset reads "read ECONNRESET" and stays internal.
  const reset = exception as { code?: unknown; message?: unknown };
  if (reset?.code === 'ECONNRESET' && reset.message === 'aborted') {
    return new InvalidRequestError('the client aborted the request');
  }
  // Fastify's own refusals (body parsing, content type, malformed URL) carry an FST_ code.
  const fastify = exception as { code?: unknown; statusCode?: unknown };
  if (typeof fastify?.code === 'string' && fastify.code.startsWith('FST_')) {
    if (fastify.statusCode === 413) return bodyTooLarge();
    if (fastify.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return unsupportedMediaType();
    if (fastify.code === 'FST_ERR_BAD_URL') return new InvalidRequestError('malformed URL');
    if (typeof fastify.statusCode === 'number' && fastify.statusCode < 500) {
      return new InvalidRequestError('malformed request');
    }
  }
  // The database is down, restarting or dropping connections: the outage's error, not the request's.
  if (isConnectionLoss(exception)) return new UnavailableError('database');
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    if (status === 413) return bodyTooLarge();
    if (status === 415) return unsupportedMediaType(); // Fastify's refusal, as the adapter hands it on
    if (status === 401) return new UnauthenticatedError();
    if (status === 403) return new ForbiddenError();
    if (status === 404) {
      // No route for this method and path: 405 when the path is served under other methods.
      const path = req.url.split('?')[0];
      const allowed = routes?.allowed(path) ?? [];
      return allowed.length > 0
        ? new MethodNotAllowedError(req.method, path, allowed)
        : new RouteNotFoundError(req.method, path);
    }
    if (status < 500) return new InvalidRequestError(exception.message);
  }
  return new DomainError(ErrorCode.Internal, 'internal error; see the logs with this request id');
}
