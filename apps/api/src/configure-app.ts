import { INestApplication, VersioningType } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { TallyLogger } from './logging/tally-logger';
import { createValidationPipe, DEPRECATION_HEADER, type ServedVersion } from '@tally/shared';
import { parseJsonBody, refuseContentEncoding } from './http/json-body';
import { RouteMethods } from './http/route-methods';
import { ProblemDetailsFilter } from './http/problem-details.filter';
import { BODY_LIMIT_BYTES, stampResponse } from './http/protocol';
import { buildOpenApiDocument } from './openapi/openapi-document';
import { serveDashboard } from './dashboard/serve-dashboard';
import { HttpMetrics, routeLabel, UNMATCHED_ROUTE } from './operations/metrics/http-metrics';
import { traceRoutes } from './operations/tracing/tracing';
import { ProtocolVersions } from './operations/protocol-versions/protocol-versions';

export { PROTOCOL_VERSION } from './http/protocol';

/**
 * Everything about the HTTP app that is not a module: hooks, body parsers, pipes, the
 * error filter, versioning and OpenAPI. main.ts and the e2e tests both call this, so
 * tests exercise exactly what production runs. The app is created with
 * `createHttpAdapter()` and `HTTP_APP_OPTIONS`.
 */
export function configureApp(app: NestFastifyApplication): INestApplication {
  app.useLogger(app.get(TallyLogger));
  const fastify = app.getHttpAdapter().getInstance();
  // When tracing is on: server spans named by route template (nothing is added when it is off).
  traceRoutes(fastify, (req) => {
    const route = routeLabel(req);
    return route === UNMATCHED_ROUTE ? undefined : route;
  });
  // First, before body parsing, so requests it rejects (malformed JSON, 413) are timed
  // too and still get the protocol header and the request id.
  app.get(HttpMetrics).instrument(fastify);
  const versions = app.get(ProtocolVersions);
  fastify.addHook('onRequest', (req, reply, done) => {
    // pino-http (a middleware, on the raw request) takes the same id from the header.
    req.raw.headers['x-request-id'] = req.id;
    let served: ServedVersion;
    try {
      served = versions.serve(req.headers['x-protocol-version'], {
        transport: 'rest',
        method: `${req.method} ${routeLabel(req)}`,
      });
    } catch (error) {
      // Refused (DSE-001, naming the versions served): the answer is in the current version.
      stampResponse(reply, req.id, versions.policy.current);
      done(error as Error);
      return;
    }
    stampResponse(reply, req.id, served.version);
    if (served.deprecated) reply.header(DEPRECATION_HEADER, 'true');
    done();
  });
  // JSON (application/json and any application/*+json) and raw bytes; the app keeps each
  // body's bytes too (rawBody), since the HMAC of a signed request is over them.
  const limit = { bodyLimit: BODY_LIMIT_BYTES };
  for (const type of ['application/json', /^application\/[\w.-]+\+json\s*(;|$)/]) {
    app.useBodyParser(type, limit, async (req: FastifyRequest, body: Buffer) => parseJsonBody(req, body));
  }
  app.useBodyParser('application/octet-stream', limit, async (req: FastifyRequest, body: Buffer) => {
    refuseContentEncoding(req);
    return body;
  });
  // Fastify's own text/plain parser would hand the routes a string, and a JSON body sent
  // as text would be refused field by field instead of for its type.
  fastify.removeContentTypeParser('text/plain');
  app.useGlobalPipes(createValidationPipe());
  const routes = new RouteMethods();
  routes.collect(fastify);
  app.useGlobalFilters(new ProblemDetailsFilter(routes));
  app.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' });

  const document = buildOpenApiDocument(app, versions.policy.current);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  serveDashboard(fastify);
  return app;
}
