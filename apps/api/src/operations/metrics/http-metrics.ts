import { Injectable, Optional } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { BrokerRelay } from '@tally/database';
import { problemCodes } from '../../http/problem-details.filter';
import { BusinessMetrics } from './business-metrics';

/** The `route` label of a request that matched no route (404s, body rejected before routing). */
export const UNMATCHED_ROUTE = 'unmatched';

/** Process metrics (CPU, memory, event loop, GC) are process-wide: collected once per process. */
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** A pattern matching every path (`*`, `/*`): a catch-all route serves no particular route. */
const CATCH_ALL = /^\/?\*$/;

/**
 * The route pattern a request matched (`/v1/admin/keys/:id`), never the raw URL, so the
 * label's cardinality is bounded by the number of routes.
 */
export function routeLabel(req: { routeOptions?: { url?: unknown } }): string {
  const url = req.routeOptions?.url;
  if (typeof url !== 'string' || CATCH_ALL.test(url)) return UNMATCHED_ROUTE;
  return url || '/';
}

/**
 * Prometheus metrics of one app instance, in a registry of its own (several apps in one
 * test process must not share counters): default process metrics, the
 * `http_request_duration_seconds` histogram by method, route pattern and status, and
 * `tally_deprecated_requests_total` by protocol version.
 */
@Injectable()
export class HttpMetrics {
  constructor(
    @Optional() private readonly broker?: BrokerRelay,
    @Optional() private readonly business?: BusinessMetrics,
  ) {}

  private readonly own = new Registry();
  private readonly duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.own],
  });
  /** Requests (REST or gRPC) that named a deprecated protocol version, by that version. */
  readonly deprecatedRequests = new Counter({
    name: 'tally_deprecated_requests_total',
    help: 'Requests served under a deprecated protocol version, by version',
    labelNames: ['version'] as const,
    registers: [this.own],
  });
  /** Age of the oldest event the broker has not acked (0 with none, or with no broker). */
  readonly outboxLag = new Gauge({
    name: 'tally_outbox_lag_seconds',
    help: 'Seconds since the oldest outbox event not yet acked by the event broker was committed',
    registers: [this.own],
    collect: async () => {
      const status = await this.broker?.status().catch(() => undefined);
      this.outboxLag.set(status?.lag_seconds ?? 0);
    },
  });
  /** Built after every metric of `own` exists: merging copies the metrics registered so far. */
  readonly registry = Registry.merge([processMetrics(), this.own]);

  /**
   * Times every request until its response is done, from the first `onRequest` hook
   * (configure-app.ts adds it first) so requests that fail in body parsing or routing
   * count too. A request whose client went away before the response finished is 499.
   */
  instrument(fastify: Pick<FastifyInstance, 'addHook'>): void {
    fastify.addHook('onRequest', (req, reply, done) => {
      const end = this.duration.startTimer();
      const res = reply.raw;
      res.once('close', () => {
        const route = routeLabel(req);
        end({ method: req.method, route, status: res.writableFinished ? String(res.statusCode) : '499' });
        // Refusals and replays, counted once their answer is out (increments only).
        if (!this.business) return;
        const code = problemCodes.get(res);
        if (code) this.business.rejections.inc({ code });
        if (reply.getHeader('idempotent-replayed') === 'true') this.business.replays.inc({ route });
      });
      done();
    });
  }

  /** The exposition text: these metrics, then the business metrics (BusinessMetrics). */
  async metrics(): Promise<string> {
    const own = await this.registry.metrics();
    return this.business ? `${own}\n${await this.business.metrics()}` : own;
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
