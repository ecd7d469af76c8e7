import type { Response } from 'supertest';
import { JobsCtx } from '../support/jobs-ctx';
import { sendRawJson, startTestApp, type TestApp } from '../support/test-app';

/** 400 DSE-001 problem+json naming the field (as `field`, or in `errors` for the validation pipe). */
function expectRefused(res: Response, field: string): void {
  expect(res.status).toBe(400);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body.code).toBe('DSE-001');
  const fields = [res.body.field, ...((res.body.errors ?? []) as { field: string }[]).map((e) => e.field)];
  expect(fields).toContain(field);
}

/** Requests black-box testing found answered 500, and their neighbours: each is a 400 naming its field. */
describe('input at the edges: refused with 400 DSE-001 naming the field, never a 500', () => {
  let t: TestApp;
  let ctx: JobsCtx;
  let client: { name: string; key: Record<string, string> };
  beforeAll(async () => {
    t = await startTestApp({ SCHEDULER_ENABLED: 'false', SETTLEMENT_ENABLED: 'false' });
    ctx = new JobsCtx(t);
    client = await ctx.fundedClient('100');
  });
  afterAll(() => t.close());

  const json = (method: 'post' | 'put', path: string, key: Record<string, string>, body: string) =>
    sendRawJson(t, method, path, key, body);

  it('a number JSON.parse reads as Infinity or 0, in metadata or a payload, at any depth', async () => {
    const admin = ctx.admin();
    const withMetadata = (fields: string, metadata: string) => `{${fields},"metadata":${metadata}}`;
    const routes: [string, Record<string, string>, string][] = [
      ['/v1/credits/mint', admin, `"account_type":"user","account_id":"${client.name}","amount":"1"`],
      ['/v1/credits/spend', client.key, '"amount":"1"'],
      ['/v1/credits/reward', admin, '"prover_id":"p1","amount":"1"'],
      [
        '/v1/credits/transfer',
        admin,
        `"from":{"account_type":"user","account_id":"${client.name}"},"to":{"account_type":"platform","account_id":"main"},"amount":"1"`,
      ],
      ['/v1/credits/accounts', admin, '"account_type":"user","account_id":"edges"'],
      ['/v1/credits/holds', admin, `"account_type":"user","account_id":"${client.name}","amount":"1"`],
    ];
    const transfers = await ctx.transferCount();
    for (const [path, key, fields] of routes) {
      for (const [metadata, field] of [
        ['{"a":1e400}', 'metadata.a'],
        ['{"a":[1,{"b":-1e400}]}', 'metadata.a.1.b'],
        ['{"a":1e-400}', 'metadata.a'],
      ]) {
        expectRefused(await json('post', path, key, withMetadata(fields, metadata)), field);
      }
    }
    for (const [payload, field] of [
      ['1e400', 'payload'],
      ['{"a":1e400}', 'payload.a'],
      [`[0,${'9'.repeat(400)}]`, 'payload.1'],
    ]) {
      const res = await json('post', '/v1/jobs/submit', client.key, `{"payload":${payload},"max_cost_micros":"1"}`);
      expectRefused(res, field);
    }
    expect(await ctx.transferCount()).toBe(transfers);
    // A finite number, however large, is a number like any other.
    const res = await json('post', '/v1/credits/mint', admin, withMetadata(routes[0][2], '{"a":1e308,"b":5e-324}'));
    expect(res.status).toBe(201);
    expect(res.body.metadata).toEqual({ a: 1e308, b: 5e-324 });
  });

  it('null where an object, an array or a string is expected', async () => {
    const admin = ctx.admin();
    for (const [body, field] of [
      ['{"entries":null}', 'entries'],
      ['{"from":null,"to":{"account_type":"platform","account_id":"main"},"amount":"1"}', 'from'],
      ['{"from":[],"to":{"account_type":"platform","account_id":"main"},"amount":"1"}', 'from'],
      ['{"entries":{"0":{}}}', 'entries'],
      [
        '{"from":{"account_type":"user","account_id":"a"},"to":{"account_type":"user","account_id":"b"},"amount":"1","memo":null}',
        'memo',
      ],
      [
        '{"from":{"account_type":"user","account_id":"a"},"to":{"account_type":"user","account_id":"b"},"amount":"1","metadata":null}',
        'metadata',
      ],
    ]) {
      expectRefused(await json('post', '/v1/credits/transfer', admin, body), field);
    }
    expectRefused(await json('post', '/v1/credits/spend', client.key, '{"amount":"1","job_id":null}'), 'job_id');
    expectRefused(await json('post', '/v1/admin/keys', admin, '{"role":"client","subject":"x","label":null}'), 'label');
    for (const field of ['priority', 'requirements', 'replicas']) {
      const body = `{"payload":{},"max_cost_micros":"1","${field}":null}`;
      expectRefused(await json('post', '/v1/jobs/submit', client.key, body), field);
    }
    expectRefused(await json('post', `/v1/jobs/987654321/assign`, admin, '{"prover_ids":null}'), 'prover_ids');
  });

  it('a field documented as nullable takes null as its default', async () => {
    const config = await json(
      'put',
      '/v1/scheduler/config',
      ctx.admin(),
      '{"w_score":"1","w_load":"1","tick_interval_ms":null}',
    );
    expect(config.status).toBe(200);
    expect(config.body.tick_interval_ms).toBeNull();
    const service = await json(
      'put',
      '/v1/registry/services/edges',
      ctx.admin(),
      '{"price_per_unit":"1","unit":"job","size_factor":"1","minimum_charge":"0","hardware_requirements":{},"description":null}',
    );
    expect(service.status).toBe(201);
    expect(service.body.description).toBeNull();
  });

  it('an integer past its int4 column (the scheduler config version) is refused; the largest one is compared', async () => {
    const put = (version: string) =>
      json('put', '/v1/scheduler/config', ctx.admin(), `{"w_score":"1","w_load":"1","version":${version}}`);
    for (const version of ['2147483648', '1e308', '9223372036854775808', '-1', '1.5']) {
      expectRefused(await put(version), 'version');
    }
    const largest = await put('2147483647');
    expect(largest.status).toBe(409);
    expect(largest.body.code).toBe('DSE-005');
  });
});
