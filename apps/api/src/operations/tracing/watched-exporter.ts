import { ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-node';

/** How the exports to the collector are going, for /health/details. */
export interface TracingExportStatus {
  /** The last export the collector took (ISO time), if any. */
  last_exported_at?: string;
  /** The last export that failed, even if one succeeded since. */
  last_error?: { message: string; at: string };
  /** Whether the most recent export failed: the collector is away, spans are being dropped. */
  failing: boolean;
}

/**
 * Wraps the exporter to remember how its exports went. The SDK drops a batch it could not
 * export and says nothing (its diagnostics are off by default), so without this an operator
 * would not know the collector is unreachable.
 */
export class WatchedExporter implements SpanExporter {
  private lastExportedAt?: number;
  private lastError?: { message: string; at: number };

  constructor(private readonly inner: SpanExporter) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      if (result.code === ExportResultCode.SUCCESS) this.lastExportedAt = Date.now();
      else this.lastError = { message: result.error?.message || 'export failed', at: Date.now() };
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }

  status(): TracingExportStatus {
    const { lastExportedAt, lastError } = this;
    return {
      last_exported_at: lastExportedAt === undefined ? undefined : new Date(lastExportedAt).toISOString(),
      last_error: lastError && { message: lastError.message, at: new Date(lastError.at).toISOString() },
      failing: lastError !== undefined && (lastExportedAt === undefined || lastError.at >= lastExportedAt),
    };
  }
}
