import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import {
  DomainError,
  ERROR_TITLES,
  ErrorCode,
  ForbiddenError,
  InvalidRequestError,
  PayloadTooLargeError,
  RateLimitedError,
  RouteNotFoundError,
  UnauthenticatedError,
} from '@tally/shared';
import { statusForError } from './error-status';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * Every error leaves as RFC 9457 problem+json with its DSE code. Unknown errors are
 * DSE-007: logged with the request id, never echoed to the caller.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request & { id?: string }>();
    const res = http.getResponse<Response>();
    const error = this.toDomainError(exception, req);
    const status = statusForError(error);
    if (error.code === ErrorCode.Internal) {
      this.logger.error({ err: exception, request_id: req.id }, 'unhandled error');
    }
    if (error instanceof RateLimitedError && !res.getHeader('Retry-After'))
      res.setHeader('Retry-After', String(error.retryAfterSeconds));
    if (res.headersSent) return;
    res
      .status(status)
      .type(PROBLEM_CONTENT_TYPE)
      .send(
        JSON.stringify({
          type: `urn:tally:error:${error.code}`,
          title: ERROR_TITLES[error.code],
          status,
          detail: error.message,
          code: error.code,
          instance: req.originalUrl,
          request_id: req.id,
          ...(error.details ?? {}),
        }),
      );
  }

  private toDomainError(exception: unknown, req: Request): DomainError {
    if (exception instanceof DomainError) return exception;
    if (exception instanceof ThrottlerException) return new RateLimitedError(60);
    // body-parser's errors carry a `type`; Nest wraps them in an HttpException (as `cause`).
    const cause = exception instanceof HttpException ? exception.cause : undefined;
    const bodyParserType = (exception as { type?: unknown })?.type ?? (cause as { type?: unknown })?.type;
    if (bodyParserType === 'entity.too.large') return new PayloadTooLargeError('request body exceeds 10 MB');
    if (typeof bodyParserType === 'string' && bodyParserType.startsWith('entity.')) {
      return new InvalidRequestError('request body is not valid JSON');
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status === 413) return new PayloadTooLargeError();
      if (status === 401) return new UnauthenticatedError();
      if (status === 403) return new ForbiddenError();
      if (status === 404) return new RouteNotFoundError(req.method, req.path);
      if (status < 500) return new InvalidRequestError(exception.message);
    }
    return new DomainError(ErrorCode.Internal, 'internal error; see the logs with this request id');
  }
}
