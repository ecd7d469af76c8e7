import { EventEmitter } from 'node:events';
import {
  Controller,
  Get,
  INestApplication,
  MiddlewareConsumer,
  Module,
  NestModule,
  Param,
  VERSION_NEUTRAL,
  VersioningType,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';
import request from 'supertest';
import { HttpMetrics, routeLabel, UNMATCHED_ROUTE } from './http-metrics';

/** Counts of http_request_duration_seconds by `method route status`, from the exposition text. */
async function counts(metrics: HttpMetrics): Promise<Record<string, number>> {
  const text = await metrics.metrics();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(
    /^http_request_duration_seconds_count\{method="([^"]*)",route="([^"]*)",status="([^"]*)"\} (\d+)$/gm,
  )) {
    out[`${m[1]} ${m[2]} ${m[3]}`] = Number(m[4]);
  }
  return out;
}

function fakeExchange(req: Partial<Request>, statusCode: number, finished = true) {
  const res = Object.assign(new EventEmitter(), { statusCode, writableFinished: finished });
  return { req: req as Request, res: res as unknown as Response & EventEmitter };
}

describe('routeLabel', () => {
  it('is the matched route pattern, under its base path', () => {
    expect(routeLabel({ baseUrl: '', route: { path: '/v1/admin/keys/:id' } })).toBe('/v1/admin/keys/:id');
    expect(routeLabel({ baseUrl: '/api', route: { path: '/things/:id' } })).toBe('/api/things/:id');
    expect(routeLabel({ baseUrl: '', route: { path: '' } })).toBe('/');
  });

  it(`is "${UNMATCHED_ROUTE}" without a matched route`, () => {
    expect(routeLabel({ baseUrl: '' })).toBe(UNMATCHED_ROUTE);
    expect(routeLabel({ baseUrl: '', route: { path: /regex/ } })).toBe(UNMATCHED_ROUTE);
  });

  it(`is "${UNMATCHED_ROUTE}" for the catch-all route Nest mounts module middleware on`, () => {
    for (const path of ['{/*splat}', '/*splat', '/{*path}', '*', '/*']) {
      expect(routeLabel({ baseUrl: '', route: { path } })).toBe(UNMATCHED_ROUTE);
    }
    expect(routeLabel({ baseUrl: '', route: { path: '/v1/files/*path' } })).toBe('/v1/files/*path');
  });
});

describe('HttpMetrics', () => {
  it('records a request when its response closes, as 499 if it never finished', async () => {
    const metrics = new HttpMetrics();
    const next: NextFunction = jest.fn();
    const done = fakeExchange({ method: 'GET', baseUrl: '', route: { path: '/v1/x/:id' } }, 200);
    metrics.middleware(done.req, done.res, next);
    expect(await counts(metrics)).toEqual({});
    done.res.emit('close');
    const aborted = fakeExchange({ method: 'POST', baseUrl: '' }, 200, false);
    metrics.middleware(aborted.req, aborted.res, next);
    aborted.res.emit('close');
    expect(next).toHaveBeenCalledTimes(2);
    expect(await counts(metrics)).toEqual({ 'GET /v1/x/:id 200': 1, 'POST unmatched 499': 1 });
  });

  it('keeps each instance’s counts to itself, and shares the process metrics', async () => {
    const a = new HttpMetrics();
    const b = new HttpMetrics();
    const x = fakeExchange({ method: 'GET', baseUrl: '' }, 404);
    a.middleware(x.req, x.res, jest.fn());
    x.res.emit('close');
    expect(await counts(a)).toEqual({ 'GET unmatched 404': 1 });
    expect(await counts(b)).toEqual({});
    for (const m of [a, b]) {
      const text = await m.metrics();
      expect(text).toContain('# TYPE process_cpu_user_seconds_total counter');
      expect(text).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
    }
    expect(a.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });
});

@Controller('things')
class ThingsController {
  @Get(':id')
  get(@Param('id') id: string) {
    return { id };
  }
}

@Controller({ path: 'probe', version: VERSION_NEUTRAL })
class ProbeController {
  @Get()
  get() {
    return {};
  }
}

/** Module middleware for every route: Nest mounts it as a catch-all route. */
@Module({ controllers: [ThingsController, ProbeController], providers: [HttpMetrics] })
class MetricsTestModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply((_req: Request, _res: Response, next: NextFunction) => next()).forRoutes('*');
  }
}

describe('HttpMetrics in a Nest app (URI versioning, as configure-app.ts sets up)', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await NestFactory.create(MetricsTestModule, { logger: false });
    app.use(app.get(HttpMetrics).middleware);
    app.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' });
    await app.init();
  });
  afterAll(() => app.close());

  it('labels requests by route pattern, never by raw URL', async () => {
    const http = () => request(app.getHttpServer());
    await http().get('/v1/things/alpha').expect(200);
    await http().get('/v1/things/beta?x=1').expect(200);
    await http().get('/probe').expect(200);
    await http().get('/v1/no/such/thing').expect(404);
    const text = await app.get(HttpMetrics).metrics();
    expect(await counts(app.get(HttpMetrics))).toEqual({
      'GET /v1/things/:id 200': 2,
      'GET /probe 200': 1,
      'GET unmatched 404': 1,
    });
    expect(text).not.toContain('alpha');
    expect(text).not.toContain('/v1/no/such');
  });
});
