import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import {
  DomainError,
  ERROR_TITLES,
  ErrorCode,
  ForbiddenError,
  PayloadTooLargeError,
  UnauthenticatedError,
} from '@tally/shared';
import { statusForError } from '../http/error-status';
import { PROBLEM_CONTENT_TYPE, titleOf } from '../http/problem-details.filter';
import { PROBLEM_TYPE_BASE } from '../http/problem-type';

/** Each area's tag, in the order Swagger shows them. */
const TAGS: [name: string, description: string][] = [
  ['jobs', 'Submit, cancel and read jobs; provers start them and report results (DSE Control API §4)'],
  ['provers', 'Register, heartbeat, poll for work, drain and resume; read a prover and its capabilities'],
  ['credits', 'The double-entry ledger: accounts, balances, mint, spend, reward, transfers, holds, alerts'],
  ['payouts', "A prover's earnings paid out: requested (held toward the payout account), then confirmed or failed"],
  ['receipts', 'Signed receipts of each job, the keys that sign them, and offline-checkable verification'],
  ['settlement', 'Sealed batches with Merkle roots, and proofs of a transfer or a balance against them'],
  ['registry', 'Services and their price schedules'],
  ['services', "Typed service requests: a service's input, validated by its schema, priced and run as a job"],
  ['scheduler', "The scheduler's weights and deterministic placement"],
  ['webhooks', 'Signed deliveries of job and balance-alert events to a URL'],
  ['events', 'The live event stream (server-sent events)'],
  ['auth', 'Who a key is'],
  ['admin', 'Administration: API keys, every job and prover, statistics, the event relay'],
  ['operations', 'Health, readiness, metrics, service information and the error reference'],
];

const PROBLEM_REF = { $ref: '#/components/schemas/Problem' };

/** The one problem+json body every error has (RFC 9457), as the error filter writes it. */
const PROBLEM_SCHEMA = {
  type: 'object',
  description:
    'An error (RFC 9457). Besides these fields, an error adds its own where it has them: `field` and `errors` ' +
    'for a bad input, `from` and `to` for an illegal transition, `retry_after_seconds`, the ids of what was not found.',
  required: ['type', 'title', 'status', 'detail', 'code', 'request_id'],
  properties: {
    type: {
      type: 'string',
      format: 'uri-reference',
      description: `the code's entry in the error reference: ${PROBLEM_TYPE_BASE}#<code>`,
      example: `${PROBLEM_TYPE_BASE}#DSE-008`,
    },
    title: { type: 'string', example: ERROR_TITLES[ErrorCode.InsufficientCredits] },
    status: { type: 'integer', description: 'the HTTP status', example: 402 },
    detail: { type: 'string', description: 'what went wrong, for a person' },
    code: { type: 'string', enum: Object.values(ErrorCode), example: ErrorCode.InsufficientCredits },
    instance: { type: 'string', description: 'the request path' },
    request_id: { type: 'string', description: 'also the X-Request-Id header, and in the logs' },
    field: { type: 'string', description: 'the input field to blame, where there is one' },
  },
  additionalProperties: true,
};

/** A response as the document holds it; `x-` extensions beside. */
interface ResponseObject {
  description: string;
  content?: Record<string, unknown>;
  [extension: `x-${string}`]: unknown;
}

interface Operation {
  responses: Record<string, ResponseObject>;
  parameters?: { name: string; in: string }[];
  requestBody?: unknown;
  'x-roles'?: string[];
  'x-throttled'?: boolean;
  'x-dse-errors'?: ErrorCode[];
}

/**
 * The HTTP statuses a code is answered with here: the one status function decides, from an
 * error of each kind the code covers.
 */
function statusesOf(code: ErrorCode, op: Operation): number[] {
  if (code === ErrorCode.Unauthorized) {
    return [statusForError(new UnauthenticatedError()), statusForError(new ForbiddenError())];
  }
  if (code === ErrorCode.InvalidRequest && op.requestBody) {
    return [statusForError(new DomainError(code, '')), statusForError(new PayloadTooLargeError(''))];
  }
  return [statusForError(new DomainError(code, ''))];
}

/** The codes an operation can answer: those any can, those its access rules add, and its own. */
function codesOf(op: Operation): ErrorCode[] {
  const codes = new Set<ErrorCode>([ErrorCode.InvalidRequest, ErrorCode.Internal, ErrorCode.Unavailable]);
  if (op['x-roles']) codes.add(ErrorCode.Unauthorized);
  if (op['x-roles'] || op['x-throttled']) codes.add(ErrorCode.RateLimited);
  // The key names one request: sent again with another, it is refused.
  if (op.parameters?.some((p) => p.in === 'header' && p.name === 'Idempotency-Key')) {
    codes.add(ErrorCode.IdempotencyConflict);
  }
  for (const code of op['x-dse-errors'] ?? []) codes.add(code);
  return [...codes].sort();
}

/** Every operation's error responses, as problem+json with the codes each status stands for. */
function addProblemResponses(document: OpenAPIObject): void {
  document.components = { ...document.components };
  document.components.schemas = { ...document.components.schemas, Problem: PROBLEM_SCHEMA };
  for (const methods of Object.values(document.paths)) {
    for (const op of Object.values(methods) as Operation[]) {
      if (typeof op !== 'object' || !op?.responses) continue;
      const byStatus = new Map<number, ErrorCode[]>();
      for (const code of codesOf(op)) {
        for (const status of statusesOf(code, op)) byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
      }
      for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
        // A response declared with a body of its own (terminus's 503 on /ready) stays as declared.
        if (op.responses[status]?.content) continue;
        const declared = op.responses[status]?.description;
        const list = codes.map((c) => `${c} ${titleOf(c, status)}`).join('; ');
        op.responses[status] = {
          description: declared ? `${list}: ${declared}` : list,
          content: { [PROBLEM_CONTENT_TYPE]: { schema: PROBLEM_REF } },
          'x-dse-codes': codes,
        };
      }
      delete op['x-dse-errors'];
    }
  }
}

/**
 * The OpenAPI document the service serves at /docs (JSON at /docs-json): the routes as Nest
 * describes them, with the servers, the area tags and every operation's error responses.
 */
export function buildOpenApiDocument(app: INestApplication, version: string): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('Tally')
    .setDescription(
      'Double-entry credit ledger and settlement service for a compute marketplace. Errors are ' +
        `application/problem+json; each code is explained at ${PROBLEM_TYPE_BASE}.`,
    )
    .setVersion(version)
    .addServer('/', 'the service that serves this document')
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'API key or JWT',
        description: "an API key, or a prover's JWT when a JWKS is configured",
      },
      'bearer',
    )
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'api-key')
    .addSecurityRequirements('bearer')
    .addSecurityRequirements('api-key');
  for (const [name, description] of TAGS) builder.addTag(name, description);
  const document = SwaggerModule.createDocument(app, builder.build());
  addProblemResponses(document);
  return document;
}
