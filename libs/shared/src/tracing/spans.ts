import {
  type Attributes,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';

/**
 * The service's tracer. Until the app registers an SDK (only when an OTLP endpoint is
 * configured) it is the API's no-op tracer: a span costs a call that returns a shared
 * non-recording span.
 */
const tracer = trace.getTracer('tally');

/**
 * Runs `work` inside a span named `name`, a child of the active one: an exception marks the
 * span as an error (and is rethrown), and the span ends when the work settles.
 */
export function inSpan<T>(name: string, attributes: Attributes, work: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, (span) => settle(span, work));
}

/**
 * As `inSpan`, for a call that arrives from outside (a gRPC call): a server span whose parent
 * is the caller's, from the W3C `traceparent` in `carrier` (its metadata), or a new trace.
 */
export function inIncomingSpan<T>(
  name: string,
  attributes: Attributes,
  carrier: Record<string, unknown>,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  return context.with(propagation.extract(ROOT_CONTEXT, carrier), () =>
    tracer.startActiveSpan(name, { kind: SpanKind.SERVER, attributes }, (span) => settle(span, work)),
  );
}

async function settle<T>(span: Span, work: (span: Span) => Promise<T>): Promise<T> {
  try {
    return await work(span);
  } catch (error) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    throw error;
  } finally {
    span.end();
  }
}

/** A command or query bus (@nestjs/cqrs): `execute` is all that is traced. */
export interface TraceableBus {
  execute(message: object, ...rest: never[]): Promise<unknown>;
}

/**
 * Makes every `execute` of this bus instance one span, named by the command's or query's
 * class (`SubmitJobCommand`), so a request's trace shows which use cases it ran and the
 * statements each one issued. Called only when tracing is on: otherwise the bus is untouched.
 */
export function traceBusExecutions(bus: TraceableBus, kind: 'command' | 'query'): void {
  const execute = bus.execute.bind(bus) as (message: object, ...rest: unknown[]) => Promise<unknown>;
  bus.execute = (message: object, ...rest: unknown[]) => {
    const name = message.constructor.name;
    return inSpan(name, { 'tally.cqrs.kind': kind, 'tally.cqrs.name': name }, () => execute(message, ...rest));
  };
}
