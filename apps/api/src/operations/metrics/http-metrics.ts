import { Injectable } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

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

/**
 * A pattern matching every path (`{/*splat}`, `/*path`, `*`). Nest mounts module
 * middleware (logging, CLS) as such a route, so a request no controller served still
 * carries it as `req.route`.
 */
const CATCH_ALL = /^[/{]*\*\w*\}?$/;

/**
 * The route pattern a request matched (`/v1/admin/keys/:id`), never the raw URL, so the
 * label's cardinality is bounded by the number of routes.
 */
export function routeLabel(req: Pick<Request, 'baseUrl'> & { route?: { path?: unknown } }): string {
  const path = req.route?.path;
  if (typeof path !== 'string' || CATCH_ALL.test(path)) return UNMATCHED_ROUTE;
  return `${req.baseUrl ?? ''}${path}` || '/';
}

/**
 * Prometheus metrics of one app instance, in a registry of its own (several apps in one
 * test process must not share counters): default process metrics plus the
 * `http_request_duration_seconds` histogram by method, route pattern and status.
 */
@Injectable()
export class HttpMetrics {
  private readonly own = new Registry();
  private readonly duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.own],
  });
  /** Built after every metric of `own` exists: merging copies the metrics registered so far. */
  readonly registry = Registry.merge([processMetrics(), this.own]);

  /**
   * Express middleware timing every request until its response is done. Mounted first
   * (configure-app.ts) so it also sees requests that fail in body parsing or routing.
   * A request whose client went away before the response finished is status 499.
   */
  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    const end = this.duration.startTimer();
    res.once('close', () => {
      end({
        method: req.method,
        route: routeLabel(req),
        status: res.writableFinished ? String(res.statusCode) : '499',
      });
    });
    next();
  };

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
