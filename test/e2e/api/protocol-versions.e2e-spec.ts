import { Logger } from '@nestjs/common';
import { JobsCtx } from '../../support/jobs-ctx';
import { startTestApp, type TestApp } from '../../support/test-app';

/** docs/api.md, "Protocol versions": X-Protocol-Version both ways, DSE-001 for a version not served. */
describe('protocol versions on REST', () => {
  let t: TestApp;
  let ctx: JobsCtx;
  beforeAll(async () => {
    t = await startTestApp({ SCHEDULER_ENABLED: 'false', SETTLEMENT_ENABLED: 'false' });
    ctx = new JobsCtx(t);
  });
  afterAll(() => t.close());

  it('a request naming no version is served the current one, and the answer says which', async () => {
    const res = await t.http().get('/v1/system/info').expect(200);
    expect(res.headers['x-protocol-version']).toBe('1');
    expect(res.headers.deprecation).toBeUndefined();
    expect(res.body).toMatchObject({ protocol_version: '1', supported_protocol_versions: ['1'] });
  });

  it.each(['1', '1.0', '1.2.3'])('X-Protocol-Version %s is served as 1', async (version) => {
    const client = await ctx.fundedClient('1');
    const res = await ctx.submit(client.key, { max_cost_micros: 10 }).set('X-Protocol-Version', version).expect(201);
    expect(res.headers['x-protocol-version']).toBe('1');
    expect(res.headers.deprecation).toBeUndefined();
  });

  it.each([
    ['2', 'protocol version 2 is not supported; supported: 1'],
    ['0.9', 'protocol version 0 is not supported; supported: 1'],
    ['v1', 'is malformed'],
    ['1.x', 'is malformed'],
    ['', 'is malformed'],
  ])('X-Protocol-Version %p: 400 DSE-001 naming the versions served, and nothing done', async (version, detail) => {
    const client = await ctx.fundedClient('1');
    const res = await ctx.submit(client.key, { max_cost_micros: 10 }).set('X-Protocol-Version', version).expect(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['x-protocol-version']).toBe('1');
    expect(res.body).toMatchObject({
      code: 'DSE-001',
      detail: expect.stringContaining(detail),
      field: 'protocol_version',
      supported_versions: ['1'],
    });
    expect(await ctx.balance('user', client.name)).toMatchObject({ pending: '0', available: '1' });
  });

  it('is checked before authentication and routing', async () => {
    const unauthenticated = await t.http().get('/v1/jobs').set('X-Protocol-Version', '9').expect(400);
    expect(unauthenticated.body.code).toBe('DSE-001');
    const unknown = await t.http().get('/v1/no-such-route').set('X-Protocol-Version', '9').expect(400);
    expect(unknown.body.code).toBe('DSE-001');
  });
});

describe('protocol versions: a deprecated version is still served, with a warning', () => {
  let t: TestApp;
  let warn: jest.SpyInstance;
  beforeAll(async () => {
    // Serve 2 as current and 1 as deprecated: the path a real v2 will take.
    t = await startTestApp({
      SCHEDULER_ENABLED: 'false',
      SETTLEMENT_ENABLED: 'false',
      PROTOCOL_VERSIONS: '1,2',
      PROTOCOL_DEPRECATED_VERSIONS: '1',
    });
    warn = jest.spyOn(Logger.prototype, 'warn');
  });
  afterAll(async () => {
    warn.mockRestore();
    await t.close();
  });

  const deprecatedCount = async () => {
    const text = (await t.http().get('/metrics').expect(200)).text;
    return Number(/^tally_deprecated_requests_total\{version="1"\} (\d+)$/m.exec(text)?.[1] ?? 0);
  };

  it('version 1: answered, with Deprecation, a logged warning and a count by version', async () => {
    const before = await deprecatedCount();
    warn.mockClear();
    for (let i = 0; i < 3; i++) {
      const res = await t.http().get('/v1/system/info').set('X-Protocol-Version', '1').expect(200);
      expect(res.headers['x-protocol-version']).toBe('1');
      expect(res.headers.deprecation).toBe('true');
    }
    expect(await deprecatedCount()).toBe(before + 3);
    const warnings = warn.mock.calls.filter(([, message]) => /protocol version 1 is deprecated/.test(String(message)));
    expect(warnings).toHaveLength(3);
    expect(warnings[0][0]).toMatchObject({ protocol_version: '1', transport: 'rest', method: 'GET /v1/system/info' });
  });

  it('version 2, or none: the current one, no Deprecation, not counted', async () => {
    const before = await deprecatedCount();
    for (const version of ['2', undefined]) {
      const req = t.http().get('/v1/system/info');
      const res = await (version ? req.set('X-Protocol-Version', version) : req).expect(200);
      expect(res.headers['x-protocol-version']).toBe('2');
      expect(res.headers.deprecation).toBeUndefined();
      expect(res.body).toMatchObject({
        protocol_version: '2',
        supported_protocol_versions: ['1', '2'],
        deprecated_protocol_versions: ['1'],
      });
    }
    expect(await deprecatedCount()).toBe(before);
  });

  it('version 3: 400 DSE-001 naming both versions served', async () => {
    const res = await t.http().get('/v1/system/info').set('X-Protocol-Version', '3').expect(400);
    expect(res.body).toMatchObject({ code: 'DSE-001', supported_versions: ['1', '2'] });
    expect(res.body.detail).toContain('supported: 1, 2');
    expect(res.headers['x-protocol-version']).toBe('2');
  });
});
