import { context } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { FastifyInstance, FastifyRequest } from 'fastify';
// The file itself, not @tally/shared's index: this runs before anything else is loaded.
import { packageVersion } from '../../../../../libs/shared/src/config/package-version';
import { TracingExportStatus, WatchedExporter } from './watched-exporter';

/** Scrapes and probes, polled every few seconds: not worth a trace each. */
const UNTRACED_PATHS = new Set(['/metrics', '/health', '/ready', '/health/details']);

/** The route template a request matched, or undefined when it matched none. */
export type RouteOf = (req: FastifyRequest) => string | undefined;

export interface TracingSdk {
  traceRoutes(fastify: FastifyInstance, routeOf: RouteOf): void;
  shutdown(): Promise<void>;
  exportStatus(): TracingExportStatus;
}

/**
 * The SDK, configured by the standard OTEL_* variables as the SDK reads them: the exporter's
 * endpoint, headers and timeout (OTLP over HTTP), the sampler (OTEL_TRACES_SAMPLER, default
 * parent-based always-on), the batch processor (OTEL_BSP_*) and the resource
 * (OTEL_SERVICE_NAME, default `tally`; OTEL_RESOURCE_ATTRIBUTES). W3C trace context is
 * propagated: an incoming `traceparent` becomes the parent of the request's spans.
 */
export function startTracingSdk(): TracingSdk {
  const resource = defaultResource()
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'tally', [ATTR_SERVICE_VERSION]: packageVersion() }))
    .merge(detectResources({ detectors: [envDetector] }));
  const exporter = new WatchedExporter(new OTLPTraceExporter());
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(exporter)] });
  provider.register();
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        // Scrapes and probes are not worth a trace each; outgoing calls (webhooks, sinks) are
        // traced only inside a traced operation.
        ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.has(req.url ?? ''),
        requireParentforOutgoingSpans: true,
      }),
      // Statements outside a traced operation (the pollers' ticks) would each be a trace of their own.
      new PgInstrumentation({ requireParentSpan: true }),
      // trace_id and span_id on every log line written inside a span; logs stay on stdout.
      new PinoInstrumentation({ disableLogSending: true }),
    ],
  });
  return {
    traceRoutes(fastify, routeOf) {
      fastify.addHook('onRequest', (req, _reply, done) => {
        // The http instrumentation names the server span and sets http.route from this.
        const metadata = getRPCMetadata(context.active());
        const route = routeOf(req);
        if (metadata?.type === RPCType.HTTP && route !== undefined) metadata.route = route;
        done();
      });
    },
    shutdown: () => provider.shutdown(),
    exportStatus: () => exporter.status(),
  };
}
