import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { ExportResult, ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { tracingReport } from '../health/dependency-probes';
import { WatchedExporter } from './watched-exporter';

/** One finished span to export. */
function oneSpan(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
  provider.getTracer('test').startSpan('work').end();
  return memory.getFinishedSpans();
}

const exportOnce = (exporter: WatchedExporter) =>
  new Promise<ExportResult>((resolve) => exporter.export(oneSpan(), resolve));

/** A collector that takes every export (or, after `refuse`, answers 400: not retried by the exporter). */
async function collector(): Promise<{ url: string; refuse: () => void; accept: () => void; server: Server }> {
  let status = 200;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(status, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    refuse: () => (status = 400),
    accept: () => (status = 200),
    server,
  };
}

describe('WatchedExporter (a real OTLP/HTTP exporter)', () => {
  it('reports the collector up after an export it took, degraded with the error once one fails, up once one passes', async () => {
    const target = await collector();
    const exporter = new WatchedExporter(new OTLPTraceExporter({ url: target.url, timeoutMillis: 2_000 }));
    try {
      expect(tracingReport(exporter.status())).toMatchObject({ name: 'tracing', state: 'up', critical: false });
      expect((await exportOnce(exporter)).code).toBe(ExportResultCode.SUCCESS);
      expect(exporter.status()).toMatchObject({ failing: false, last_exported_at: expect.any(String) });

      target.refuse();
      expect((await exportOnce(exporter)).code).toBe(ExportResultCode.FAILED);
      const report = tracingReport(exporter.status());
      expect(report).toMatchObject({ state: 'degraded', critical: false, last_error: { at: expect.any(String) } });
      expect(report.last_error?.message).not.toBe('');

      target.accept();
      expect((await exportOnce(exporter)).code).toBe(ExportResultCode.SUCCESS);
      // Up again, and the failure is still there for the operator to see.
      expect(tracingReport(exporter.status())).toMatchObject({ state: 'up', last_error: report.last_error });
    } finally {
      await exporter.shutdown();
      target.server.close();
    }
  });

  it('is degraded when nothing listens at the collector address', async () => {
    const target = await collector();
    const url = target.url;
    await new Promise((resolve) => target.server.close(resolve)); // nothing listens there now
    const exporter = new WatchedExporter(new OTLPTraceExporter({ url, timeoutMillis: 1_000 }));
    try {
      expect((await exportOnce(exporter)).code).toBe(ExportResultCode.FAILED);
      expect(tracingReport(exporter.status()).state).toBe('degraded');
    } finally {
      await exporter.shutdown();
    }
  });

  it('is off when tracing is not configured', () => {
    expect(tracingReport(undefined)).toEqual({ name: 'tracing', state: 'off', critical: false });
  });
});
