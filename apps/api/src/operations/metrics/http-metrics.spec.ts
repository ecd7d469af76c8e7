import { EventEmitter } from 'node:events';
import {
  Controller,
  Get,
  MiddlewareConsumer,
  Module,
  NestModule,
  Param,
  VERSION_NEUTRAL,
  VersioningType,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
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

type OnRequest = (req: unknown, reply: unknown, done: () => void) => void;

/** HttpMetrics hooked into a stand-in for Fastify; `exchange` runs one request through the hook. */
function instrumented(metrics: HttpMetrics) {
  let hook: OnRequest | undefined;
  metrics.instrument({ addHook: ((_name: string, fn: OnRequest) => (hook = fn)) as never });
  return (req: { method: string; routeOptions?: { url?: string } }, statusCode: number, finished = true) => {
    const raw = Object.assign(new EventEmitter(), { statusCode, writableFinished: finished });
    const done = jest.fn();
    hook!(req, { raw }, done);
    expect(done).toHaveBeenCalledTimes(1);
    return raw;
  };
}

describe('routeLabel', () => {
  it('is the matched route pattern', () => {
    expect(routeLabel({ routeOptions: { url: '/v1/admin/keys/:id' } })).toBe('/v1/admin/keys/:id');
    expect(routeLabel({ routeOptions: { url: '' } })).toBe('/');
  });

  it(`is "${UNMATCHED_ROUTE}" without a matched route, or for a catch-all`, () => {
    expect(routeLabel({})).toBe(UNMATCHED_ROUTE);
    expect(routeLabel({ routeOptions: {} })).toBe(UNMATCHED_ROUTE);
    for (const url of ['*', '/*']) expect(routeLabel({ routeOptions: { url } })).toBe(UNMATCHED_ROUTE);
    expect(routeLabel({ routeOptions: { url: '/v1/files/*' } })).toBe('/v1/files/*');
  });
});

describe('HttpMetrics', () => {
  it('records a request when its response closes, as 499 if it never finished', async () => {
    const metrics = new HttpMetrics();
    const exchange = instrumented(metrics);
    const done = exchange({ method: 'GET', routeOptions: { url: '/v1/x/:id' } }, 200);
    expect(await counts(metrics)).toEqual({});
    done.emit('close');
    exchange({ method: 'POST' }, 200, false).emit('close');
    expect(await counts(metrics)).toEqual({ 'GET /v1/x/:id 200': 1, 'POST unmatched 499': 1 });
  });

  it('keeps each instance’s counts to itself, and shares the process metrics', async () => {
    const a = new HttpMetrics();
    const b = new HttpMetrics();
    instrumented(a)({ method: 'GET' }, 404).emit('close');
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

/** Module middleware for every route, as the logging module has. */
@Module({ controllers: [ThingsController, ProbeController], providers: [HttpMetrics] })
class MetricsTestModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply((_req: unknown, _res: unknown, next: () => void) => next()).forRoutes('*');
  }
}

describe('HttpMetrics in a Nest app (URI versioning, as configure-app.ts sets up)', () => {
  let app: NestFastifyApplication;
  beforeAll(async () => {
    app = await NestFactory.create<NestFastifyApplication>(MetricsTestModule, new FastifyAdapter(), { logger: false });
    app.get(HttpMetrics).instrument(app.getHttpAdapter().getInstance());
    app.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
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
