import type { IncomingMessage, ServerResponse } from 'node:http';
import { INestApplication, VersioningType } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { ProblemDetailsFilter } from './http/problem-details.filter';
import { createValidationPipe } from './http/validation.pipe';
import { requestId } from './logging/logging.module';
import { HttpMetrics } from './operations/metrics/http-metrics';

export const BODY_LIMIT = '10mb';
export const PROTOCOL_VERSION = '1';

/**
 * Everything about the HTTP app that is not a module: body limits, pipes, the error
 * filter, versioning and OpenAPI. main.ts and the e2e tests both call this, so tests
 * exercise exactly what production runs.
 */
export function configureApp(app: NestExpressApplication): INestApplication {
  app.useLogger(app.get(Logger));
  // First, before the body parsers, so requests they reject (malformed JSON, 413) are
  // timed too and still get the protocol header and a request id.
  app.use(app.get(HttpMetrics).middleware);
  app.use((req: IncomingMessage & { id?: string }, res: ServerResponse, next: () => void) => {
    res.setHeader('X-Protocol-Version', PROTOCOL_VERSION);
    // pino-http later takes the (now sane) header, so the logs carry the same id.
    req.id = req.headers['x-request-id'] = requestId(req, res);
    next();
  });
  app.useBodyParser('json', { limit: BODY_LIMIT, type: ['application/json', 'application/*+json'] });
  app.useBodyParser('raw', { limit: BODY_LIMIT, type: 'application/octet-stream' });
  app.set('trust proxy', false);
  app.disable('x-powered-by');
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ProblemDetailsFilter());
  app.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' });

  const openApi = new DocumentBuilder()
    .setTitle('Tally')
    .setDescription('Double-entry credit ledger and settlement service for a compute marketplace')
    .setVersion(PROTOCOL_VERSION)
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'API key', description: 'API key' }, 'bearer')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'api-key')
    .addSecurityRequirements('bearer')
    .addSecurityRequirements('api-key')
    .build();
  const document = SwaggerModule.createDocument(app, openApi);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return app;
}
