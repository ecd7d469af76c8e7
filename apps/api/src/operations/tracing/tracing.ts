import type { FastifyInstance } from 'fastify';
import type { RouteOf, TracingSdk } from './tracing-sdk';
import type { TracingExportStatus } from './watched-exporter';

/**
 * OpenTelemetry traces, off unless an OTLP endpoint is configured. This file loads nothing
 * of the SDK: `startTracing` requires it only when tracing is on, so a service without an
 * endpoint never loads the SDK or the instrumentations, and its code paths cost a check.
 */
let sdk: TracingSdk | undefined;

/** Tracing is on when an OTLP endpoint is set (the standard variables), unless the SDK is disabled. */
export function tracingConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  return (
    Boolean(endpoint) && env.OTEL_SDK_DISABLED?.trim().toLowerCase() !== 'true' && env.OTEL_TRACES_EXPORTER !== 'none'
  );
}

/**
 * Starts the SDK and registers the instrumentations (http, pg, pino) when tracing is
 * configured. Runs before `http`, `pg` and `pino` are first required (main.ts imports the
 * bootstrap first), since the instrumentations patch those modules as they load.
 */
export function startTracing(env: NodeJS.ProcessEnv = process.env): boolean {
  if (sdk || !tracingConfigured(env)) return sdk !== undefined;
  // Required here, not imported: the SDK is loaded only when tracing is on.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startTracingSdk } = require('./tracing-sdk') as typeof import('./tracing-sdk');
  sdk = startTracingSdk();
  return true;
}

export function tracingStarted(): boolean {
  return sdk !== undefined;
}

/** How the exports to the collector are going; undefined when tracing is off. */
export function tracingExportStatus(): TracingExportStatus | undefined {
  return sdk?.exportStatus();
}

/** Names each HTTP server span by its route template (`POST /v1/jobs/:id/cancel`), when tracing is on. */
export function traceRoutes(fastify: FastifyInstance, routeOf: RouteOf): void {
  sdk?.traceRoutes(fastify, routeOf);
}

/** Exports the spans still buffered and stops the SDK (at shutdown). */
export async function stopTracing(): Promise<void> {
  const stopping = sdk;
  sdk = undefined;
  await stopping?.shutdown();
}
