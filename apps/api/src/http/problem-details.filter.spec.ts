import { ArgumentsHost, BadRequestException, HttpException, Logger, NotFoundException } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import { DomainError, ErrorCode, InvalidRequestError, UnauthenticatedError } from '@tally/shared';
import { PROBLEM_CONTENT_TYPE, ProblemDetailsFilter } from './problem-details.filter';

interface Sent {
  status?: number;
  type?: string;
  body?: Record<string, unknown>;
  text?: string;
  headers: Record<string, string>;
}

/** A fake Fastify request/reply pair behind an ArgumentsHost. */
function hostFor(sent: Sent, { headersSent = false } = {}): ArgumentsHost {
  const req = { id: 'req-1', method: 'POST', url: '/v1/things?x=1', originalUrl: '/v1/things?x=1' };
  const res = {
    sent: headersSent,
    raw: { headersSent },
    hasHeader: (name: string) => sent.headers[name.toLowerCase()] !== undefined,
    header(name: string, value: string) {
      sent.headers[name.toLowerCase()] = value;
      return this;
    },
    status(code: number) {
      sent.status = code;
      return this;
    },
    type(type: string) {
      sent.type = type;
      return this;
    },
    send(text: string) {
      sent.text = text;
      sent.body = JSON.parse(text) as Record<string, unknown>;
      return this;
    },
  };
  return { switchToHttp: () => ({ getRequest: () => req, getResponse: () => res }) } as unknown as ArgumentsHost;
}

function filter(exception: unknown): Sent {
  const sent: Sent = { headers: {} };
  new ProblemDetailsFilter().catch(exception, hostFor(sent));
  return sent;
}

describe('ProblemDetailsFilter', () => {
  let logged: jest.SpyInstance;
  beforeEach(() => (logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined)));
  afterEach(() => logged.mockRestore());

  it('answers a plain Error with 500 DSE-007 and nothing of the error itself', () => {
    const error = new Error('connection string postgres://secret@db leaked');
    const sent = filter(error);
    expect(sent.status).toBe(500);
    expect(sent.type).toBe(PROBLEM_CONTENT_TYPE);
    expect(sent.body).toEqual({
      type: '/docs/errors#DSE-007',
      title: 'Internal error',
      status: 500,
      detail: 'internal error; see the logs with this request id',
      code: 'DSE-007',
      instance: '/v1/things?x=1',
      request_id: 'req-1',
    });
    expect(sent.text).not.toContain('secret');
    expect(sent.text).not.toMatch(/\bat \S+ \(/); // no stack frames
    // The details go to the log, with the request id.
    expect(logged).toHaveBeenCalledWith(
      expect.objectContaining({ err: error, request_id: 'req-1' }),
      'unhandled error',
    );
  });

  it("an error's details never replace the members the problem defines", () => {
    const sent = filter(new InvalidRequestError('bad', { status: 'PENDING', code: 'X', field: 'f', type: 'y' }));
    expect(sent.body).toMatchObject({ status: 400, code: 'DSE-001', type: '/docs/errors#DSE-001', field: 'f' });
  });

  it('a request the client aborted is a 400 (not logged); a database connection reset is the outage 503', () => {
    const aborted = filter(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    expect(aborted.status).toBe(400);
    expect(aborted.body).toMatchObject({ code: 'DSE-001', detail: 'the client aborted the request' });
    expect(logged).not.toHaveBeenCalled();
    const database = filter(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    expect(database.status).toBe(503);
    expect(database.body).toMatchObject({ code: 'DSE-014' });
    expect(logged).not.toHaveBeenCalled();
  });

  it.each([['a string'], [undefined], [{ message: 'an object' }], [new TypeError('x is not a function')]])(
    'treats %p as an internal error',
    (thrown) => {
      const sent = filter(thrown);
      expect(sent.status).toBe(500);
      expect(sent.body).toMatchObject({ code: 'DSE-007' });
    },
  );

  it('keeps a domain error, its message and its details', () => {
    const sent = filter(new InvalidRequestError('amount must be positive', { errors: [{ field: 'amount' }] }));
    expect(sent.status).toBe(400);
    expect(sent.body).toMatchObject({
      code: 'DSE-001',
      detail: 'amount must be positive',
      errors: [{ field: 'amount' }],
    });
    expect(logged).not.toHaveBeenCalled();
  });

  it.each([
    [ErrorCode.InvalidRequest, 400],
    [ErrorCode.Unauthorized, 401],
    [ErrorCode.JobNotFound, 404],
    [ErrorCode.ProverNotFound, 404],
    [ErrorCode.VersionConflict, 409],
    [ErrorCode.TransportFailure, 503],
    [ErrorCode.Internal, 500],
    [ErrorCode.InsufficientCredits, 402],
    [ErrorCode.IdempotencyConflict, 409],
    [ErrorCode.IllegalTransition, 409],
    [ErrorCode.AccountNotFound, 404],
    [ErrorCode.RateLimited, 429],
    [ErrorCode.CostCeilingExceeded, 422],
    [ErrorCode.Unavailable, 503],
    [ErrorCode.NotFound, 404],
  ])('maps %s to HTTP %d (docs/architecture.md §6)', (code, status) => {
    const sent = filter(new DomainError(code, 'x'));
    expect(sent.status).toBe(status);
    expect(sent.body).toMatchObject({ code, status, type: `/docs/errors#${code}` });
  });

  it.each([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    [
      'an admin shutdown',
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
    ],
    ['a connection ended under a query', new Error('Connection terminated unexpectedly')],
    ['a server starting up, wrapped by TypeORM', { message: 'x', driverError: { code: '57P03' } }],
  ])('answers %s with 503 DSE-014 and Retry-After, naming nothing of the error', (_, error) => {
    const sent = filter(error);
    expect(sent.status).toBe(503);
    expect(sent.headers['retry-after']).toBe('1');
    expect(sent.body).toMatchObject({
      code: 'DSE-014',
      title: 'Service unavailable',
      detail: 'the database is unavailable; retry shortly',
      retry_after_seconds: 1,
    });
    expect(sent.text).not.toMatch(/5432|administrator|terminated/);
    expect(logged).not.toHaveBeenCalled();
  });

  it('maps Nest HTTP exceptions to DSE codes', () => {
    expect(filter(new NotFoundException())).toMatchObject({
      status: 404,
      body: { code: 'DSE-015', title: 'Not found' },
    });
    expect(filter(new BadRequestException('bad'))).toMatchObject({ status: 400, body: { code: 'DSE-001' } });
    expect(filter(new HttpException('nope', 401))).toMatchObject({ status: 401, body: { code: 'DSE-002' } });
    expect(filter(new HttpException('nope', 403))).toMatchObject({ status: 403, body: { code: 'DSE-002' } });
    expect(filter(new HttpException('boom', 502))).toMatchObject({ status: 500, body: { code: 'DSE-007' } });
    expect(filter(new UnauthenticatedError())).toMatchObject({ status: 401, body: { code: 'DSE-002' } });
  });

  it("recognises Fastify's own refusals (FST_ codes), never echoing their messages", () => {
    const fastify = (code: string, statusCode: number) =>
      Object.assign(new Error(`${code}: body {"secret":1} refused`), { code, statusCode });
    expect(filter(fastify('FST_ERR_CTP_BODY_TOO_LARGE', 413))).toMatchObject({
      status: 413,
      body: { code: 'DSE-001', detail: 'request body exceeds 10 MB' },
    });
    expect(filter(new HttpException('too large', 413))).toMatchObject({
      status: 413,
      body: { code: 'DSE-001', detail: 'request body exceeds 10 MB' },
    });
    expect(filter(fastify('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415))).toMatchObject({
      status: 400,
      body: { code: 'DSE-001', detail: 'unsupported Content-Type: send application/json' },
    });
    expect(filter(fastify('FST_ERR_BAD_URL', 400))).toMatchObject({ status: 400, body: { detail: 'malformed URL' } });
    const other = filter(fastify('FST_ERR_CTP_INVALID_CONTENT_LENGTH', 400));
    expect(other).toMatchObject({ status: 400, body: { code: 'DSE-001', detail: 'malformed request' } });
    expect(other.text).not.toContain('secret');
    expect(filter(fastify('FST_ERR_SOMETHING_INTERNAL', 500))).toMatchObject({
      status: 500,
      body: { code: 'DSE-007' },
    });
  });

  it('answers the throttler with 429 DSE-012 and Retry-After', () => {
    const sent = filter(new ThrottlerException());
    expect(sent.status).toBe(429);
    expect(sent.body).toMatchObject({ code: 'DSE-012', retry_after_seconds: 60 });
    expect(sent.headers['retry-after']).toBe('60');
  });

  it('sends nothing once the headers are out', () => {
    const sent: Sent = { headers: {} };
    new ProblemDetailsFilter().catch(new Error('late'), hostFor(sent, { headersSent: true }));
    expect(sent.status).toBeUndefined();
    expect(sent.text).toBeUndefined();
  });
});
