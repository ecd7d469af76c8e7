import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseProbe } from '../../apps/api/src/operations/health/database-probe';
import { READY_CHECK_TIMEOUT_MS } from '../../apps/api/src/operations/health/health.controller';
import { startTestApp, TestApp } from '../support/test-app';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PACKAGE_VERSION = (JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { version: string })
  .version;

describe('operations endpoints', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  it('GET /health answers 200 without a version prefix or a key', async () => {
    const res = await t.http().get('/health').expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toMatch(/no-store/);
    expect(res.body).toMatchObject({ status: 'ok' });
    await t.http().get('/v1/health').expect(404);
  });

  it('GET /ready checks the database and the migrations', async () => {
    const res = await t.http().get('/ready').expect(200);
    expect(res.body).toMatchObject({
      status: 'ok',
      details: { database: { status: 'up' }, migrations: { status: 'up' } },
    });
    await t.http().get('/v1/ready').expect(404);
  });

  it('GET /v1/system/info describes the instance, without secrets', async () => {
    const res = await t.http().get('/v1/system/info').expect(200);
    expect(res.body).toEqual({
      name: 'tally',
      version: PACKAGE_VERSION,
      protocol_version: '1',
      supported_protocol_versions: ['1'],
      deprecated_protocol_versions: [],
      database: process.env.DATABASE_URL ? 'postgres' : 'embedded',
      uptime_seconds: expect.any(Number),
      started_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      // No broker configured: nothing is published, nothing waits for one.
      events: { transport: 'off', state: 'off', backlog: 0, lag_seconds: 0 },
    });
    expect(res.body.uptime_seconds).toBeGreaterThanOrEqual(0);
    expect(Date.parse(res.body.started_at)).toBeLessThanOrEqual(Date.now());
    const text = JSON.stringify(res.body);
    expect(text).not.toContain(t.adminKey);
    expect(text).not.toMatch(/postgres(ql)?:\/\//);
    await t.http().get('/system/info').expect(404);
  });

  it('GET /metrics serves Prometheus text with process metrics and request durations by route pattern', async () => {
    await t.http().get('/v1/system/info').expect(200);
    await t.http().get('/v1/no-such-thing/12345?secret=1').expect(404);
    await t.http().post('/v1/no-such-thing').set('Content-Type', 'application/json').send('{"broken":').expect(400);
    const res = await t.http().get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.text;
    expect(text).toContain('# TYPE process_cpu_user_seconds_total counter');
    expect(text).toContain('# TYPE process_resident_memory_bytes gauge');
    expect(text).toContain('# TYPE http_request_duration_seconds histogram');
    expect(text).toMatch(
      /^http_request_duration_seconds_count\{method="GET",route="\/v1\/system\/info",status="200"\} [1-9]\d*$/m,
    );
    expect(text).toMatch(/^http_request_duration_seconds_count\{method="GET",route="unmatched",status="404"\} \d+$/m);
    expect(text).toMatch(/^http_request_duration_seconds_count\{method="POST",route="unmatched",status="400"\} \d+$/m);
    expect(text).toMatch(/^http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/health",/m);
    expect(text).not.toContain('12345');
    expect(text).not.toContain('secret');
    await t.http().get('/v1/metrics').expect(404);
  });

  it('serves OpenAPI at /docs-json (with the API-key schemes and every operations route) and the UI at /docs', async () => {
    const res = await t.http().get('/docs-json').expect(200);
    const doc = res.body as {
      openapi: string;
      paths: Record<string, Record<string, { security?: unknown[] }>>;
      components: { securitySchemes: Record<string, unknown> };
      security: unknown[];
    };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/health', '/ready', '/v1/system/info', '/metrics']),
    );
    expect(doc.components.securitySchemes).toMatchObject({
      bearer: { type: 'http', scheme: 'bearer' },
      'api-key': { type: 'apiKey', in: 'header', name: 'X-API-Key' },
    });
    expect(doc.security).toEqual([{ bearer: [] }, { 'api-key': [] }]);
    // Operations routes are public: they override the document-wide key requirement.
    for (const path of ['/health', '/ready', '/v1/system/info', '/metrics']) {
      expect(doc.paths[path].get.security).toEqual([]);
    }
    const ui = await t.http().get('/docs').expect(200);
    expect(ui.headers['content-type']).toMatch(/^text\/html/);
    expect(ui.text).toContain('swagger-ui');
  });

  describe('headers on every response', () => {
    it.each([
      ['GET', '/health', 200],
      ['GET', '/v1/system/info', 200],
      ['GET', '/metrics', 200],
      ['GET', '/docs-json', 200],
      ['GET', '/v1/nowhere', 404],
      ['DELETE', '/health', 405],
    ])('%s %s (%d) carries X-Protocol-Version and a generated X-Request-Id', async (method, path, status) => {
      const res = await t.http()[method.toLowerCase() as 'get' | 'delete'](path).expect(status);
      expect(res.headers['x-protocol-version']).toBe('1');
      expect(res.headers['x-request-id']).toMatch(UUID);
    });

    it('echoes a sane X-Request-Id, also in the problem body', async () => {
      const res = await t.http().get('/v1/nowhere').set('X-Request-Id', 'client-req_42.a:b').expect(404);
      expect(res.headers['x-request-id']).toBe('client-req_42.a:b');
      expect(res.body.request_id).toBe('client-req_42.a:b');
      const ok = await t.http().get('/health').set('X-Request-Id', 'trace-1').expect(200);
      expect(ok.headers['x-request-id']).toBe('trace-1');
    });

    it.each([
      ['too long', 'x'.repeat(129)],
      ['with a space', 'a b'],
      ['with a control character', 'a\tb'],
    ])('replaces an X-Request-Id %s with a generated one', async (_why, given) => {
      const res = await t.http().get('/v1/nowhere').set('X-Request-Id', given).expect(404);
      expect(res.headers['x-request-id']).toMatch(UUID);
      expect(res.body.request_id).toBe(res.headers['x-request-id']);
    });

    it('gives each request its own id', async () => {
      const [a, b] = await Promise.all([t.http().get('/health'), t.http().get('/health')]);
      expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
    });
  });

  describe('/ready when not ready', () => {
    afterEach(() => jest.restoreAllMocks());

    it('answers 503 naming the migrations when one is not applied', async () => {
      const [last] = await t.dataSource.query(
        `SELECT id, timestamp, name FROM typeorm_migrations ORDER BY id DESC LIMIT 1`,
      );
      await t.dataSource.query(`DELETE FROM typeorm_migrations WHERE id = $1`, [last.id]);
      try {
        const res = await t.http().get('/ready').expect(503);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expect(res.body).toMatchObject({
          status: 'error',
          error: { migrations: { status: 'down', message: 'migrations are pending' } },
          info: { database: { status: 'up' } },
        });
        await t.http().get('/health').expect(200); // liveness does not depend on it
      } finally {
        await t.dataSource.query(`INSERT INTO typeorm_migrations (id, timestamp, name) VALUES ($1, $2, $3)`, [
          last.id,
          last.timestamp,
          last.name,
        ]);
      }
      await t.http().get('/ready').expect(200);
    });

    // Only /ready's probe fails: taking the pool down would also stall the app's
    // background work (and its shutdown), which is not under test here.
    it('answers 503 naming the database when its query fails', async () => {
      jest.spyOn(t.app.get(DatabaseProbe), 'ping').mockRejectedValue(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
      const res = await t.http().get('/ready').expect(503);
      expect(res.body).toMatchObject({
        status: 'error',
        error: { database: { status: 'down', message: 'connect ECONNREFUSED 127.0.0.1:5432' } },
      });
      await t.http().get('/health').expect(200);
    });

    it('answers 503 when the database does not answer in time', async () => {
      jest.spyOn(t.app.get(DatabaseProbe), 'ping').mockReturnValue(new Promise(() => undefined));
      const started = Date.now();
      const res = await t.http().get('/ready').expect(503);
      expect(Date.now() - started).toBeGreaterThanOrEqual(READY_CHECK_TIMEOUT_MS - 100);
      expect(res.body).toMatchObject({ status: 'error', error: { database: { status: 'down' } } });
    });
  });
});
