import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobsCtx } from '../../support/jobs-ctx';
import { CAPABILITIES, HARDWARE } from '../../support/prover-profile';
import { startTestApp, TestApp } from '../../support/test-app';

type Schema = {
  $ref?: string;
  type?: string;
  nullable?: boolean;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  allOf?: Schema[];
  oneOf?: Schema[];
};
type Response = { description: string; content?: Record<string, { schema?: Schema }>; 'x-dse-codes'?: string[] };
type Operation = {
  operationId?: string;
  tags?: string[];
  parameters?: { name: string; in: string; required?: boolean }[];
  responses: Record<string, Response>;
};
type Document = {
  servers?: { url: string }[];
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
};

const PROBLEM = 'application/problem+json';
/** Hand-chosen ids: the area, a dot, the action (`credits.spend`), never Nest's generated `Controller_method_v1`. */
const OPERATION_ID = /^[a-z]+\.[a-z][A-Za-z]*$/;

describe('the OpenAPI document', () => {
  let t: TestApp;
  const sinkDir = mkdtempSync(join(tmpdir(), 'tally-openapi-batches-'));
  let ctx: JobsCtx;
  let document: Document;
  let operations: { method: string; path: string; op: Operation }[];
  beforeAll(async () => {
    t = await startTestApp({
      SCHEDULER_ENABLED: 'false',
      SETTLEMENT_ENABLED: 'false',
      // A primary sink that only a reconcile delivers to (no delivery loop): the fallback routes have rows to show.
      SETTLEMENT_FILE_DIR: sinkDir,
      WEBHOOKS_ALLOW_PRIVATE_URLS: 'true',
    });
    ctx = new JobsCtx(t);
    document = (await t.http().get('/docs-json').expect(200)).body;
    operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
    );
  });
  afterAll(async () => {
    await t.close();
    rmSync(sinkDir, { recursive: true, force: true });
  });

  const resolve = (schema: Schema | undefined): Schema => {
    if (!schema) return {};
    if (schema.$ref) return resolve(document.components.schemas[schema.$ref.split('/').pop()!]);
    // A nullable $ref is written as allOf: [ref] with nullable beside it (OpenAPI 3.0).
    if (schema.allOf?.length === 1) {
      const inner = resolve(schema.allOf[0]);
      return schema.nullable ? { ...inner, nullable: true } : inner;
    }
    return schema;
  };
  const named = ({ method, path }: { method: string; path: string }) => `${method} ${path}`;

  it('names its servers, and every tag an operation uses is described', () => {
    expect(document.servers?.length).toBeGreaterThan(0);
    const described = new Set(document.tags?.filter((tag) => tag.description).map((tag) => tag.name));
    const untagged = operations.filter(({ op }) => !op.tags?.length || op.tags.some((tag) => !described.has(tag)));
    expect(untagged.map(named)).toEqual([]);
  });

  it('gives every operation a hand-chosen operationId, each once', () => {
    const ids = operations.map(({ op }) => op.operationId ?? '');
    expect(operations.filter(({ op }) => !OPERATION_ID.test(op.operationId ?? '')).map(named)).toEqual([]);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  });

  it('gives every success status but 204 a schema, and every schema a shape', () => {
    const missing: string[] = [];
    for (const o of operations) {
      const successes = Object.entries(o.op.responses).filter(([status]) => /^2/.test(status));
      if (successes.length === 0) missing.push(`${named(o)}: no success response`);
      for (const [status, response] of successes) {
        if (status === '204') {
          if (response.content) missing.push(`${named(o)} ${status}: a body on 204`);
          continue;
        }
        const schemas = Object.values(response.content ?? {}).map((c) => resolve(c.schema));
        if (schemas.length === 0 || schemas.some((s) => !s.type && !s.properties && !s.oneOf)) {
          missing.push(`${named(o)} ${status}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('answers every error as problem+json with the one Problem schema, naming its DSE codes', () => {
    expect(document.components.schemas.Problem.required).toEqual(
      expect.arrayContaining(['type', 'title', 'status', 'detail', 'code', 'request_id']),
    );
    const wrong: string[] = [];
    for (const o of operations) {
      const errors = Object.entries(o.op.responses).filter(([status]) => Number(status) >= 400);
      const problems = errors.filter(([, r]) => r.content?.[PROBLEM]?.schema?.$ref === '#/components/schemas/Problem');
      // Every operation can be refused (DSE-001) and can fail (DSE-007).
      if (!problems.some(([s]) => s === '400') || !problems.some(([s]) => s === '500')) wrong.push(named(o));
      for (const [status, response] of problems) {
        const codes = response['x-dse-codes'] ?? [];
        if (
          codes.length === 0 ||
          codes.some((code) => !/^DSE-\d{3}$/.test(code) || !response.description.includes(code))
        )
          wrong.push(`${named(o)} ${status}`);
      }
      // The only error with another body: the readiness probe's own 503 (terminus's check results).
      for (const [status] of errors.filter((e) => !problems.includes(e))) {
        if (!(o.path === '/ready' || o.path === '/health') || status !== '503') wrong.push(`${named(o)} ${status}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('lists each operation’s own codes under their statuses', () => {
    const codesAt = (method: string, path: string, status: string) =>
      document.paths[path][method].responses[status]?.['x-dse-codes'];
    expect(codesAt('post', '/v1/credits/spend', '402')).toEqual(['DSE-008']);
    expect(codesAt('post', '/v1/credits/spend', '409')).toEqual(['DSE-009']);
    expect(codesAt('post', '/v1/jobs/{network_job_id}/cancel', '404')).toEqual(['DSE-003']);
    expect(codesAt('post', '/v1/jobs/{network_job_id}/cancel', '409')).toEqual(['DSE-010']);
    expect(codesAt('get', '/v1/provers/{prover_id}', '404')).toEqual(['DSE-004']);
    expect(codesAt('get', '/v1/credits/accounts/{account_type}/{account_id}', '404')).toEqual(['DSE-011']);
    // Public routes: no key to refuse; a throttled one can answer 429.
    expect(codesAt('get', '/v1/settlement/batches', '401')).toBeUndefined();
    expect(codesAt('get', '/v1/settlement/batches', '429')).toEqual(['DSE-012']);
    expect(codesAt('get', '/health', '429')).toBeUndefined();
  });

  it('marks no query parameter required: every filter and page parameter may be left out', async () => {
    const required = operations.flatMap(({ method, path, op }) =>
      (op.parameters ?? []).filter((p) => p.in === 'query' && p.required).map((p) => `${method} ${path} ${p.name}`),
    );
    expect(required).toEqual([]);
    const batches = document.paths['/v1/settlement/batches'].get.parameters ?? [];
    expect(
      batches
        .filter((p) => p.in === 'query')
        .map((p) => p.name)
        .sort(),
    ).toEqual(['cursor', 'limit']);
    await t.http().get('/v1/settlement/batches').expect(200);
  });

  it("a problem's type resolves to its entry in the error reference the service serves", async () => {
    const refused = await t.http().get('/v1/credits/accounts/user/nobody').set(ctx.admin()).expect(404);
    expect(refused.body).toMatchObject({ type: '/docs/errors#DSE-011', code: 'DSE-011' });
    const [path, anchor] = (refused.body.type as string).split('#');
    const page = await t.http().get(path).expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain(`id="${anchor}"`);
    for (const code of document.components.schemas.Problem.properties!.code.enum as string[]) {
      expect(page.text).toContain(`<td id="${code}">`);
    }
  });

  /**
   * Checks a real answer against the schema the document gives its status: every field it
   * has is documented, every required field is there, and each has the documented type.
   */
  function expectConforms(value: unknown, schema: Schema, at: string, problems: string[]): void {
    const s = resolve(schema);
    if (value === null) {
      if (!s.nullable && !s.oneOf?.some((o) => o.nullable)) problems.push(`${at}: null, not nullable`);
      return;
    }
    if (s.oneOf) {
      const fits = s.oneOf.some((option) => {
        const inner: string[] = [];
        expectConforms(value, option, at, inner);
        return inner.length === 0;
      });
      if (!fits) problems.push(`${at}: fits none of oneOf`);
      return;
    }
    if (s.enum && !s.enum.includes(value)) problems.push(`${at}: ${JSON.stringify(value)} not in enum`);
    const actual = Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;
    if (s.type === 'integer' && actual !== 'integer') problems.push(`${at}: ${actual}, documented integer`);
    else if (s.type === 'number' && actual !== 'integer' && actual !== 'number') problems.push(`${at}: ${actual}`);
    else if (s.type && !['integer', 'number'].includes(s.type) && s.type !== actual) {
      problems.push(`${at}: ${actual}, documented ${s.type}`);
    }
    if (actual === 'array' && s.items)
      (value as unknown[]).forEach((v, i) => expectConforms(v, s.items!, `${at}[${i}]`, problems));
    if (actual === 'object' && s.properties) {
      const object = value as Record<string, unknown>;
      for (const key of s.required ?? []) if (!(key in object)) problems.push(`${at}.${key}: missing`);
      for (const [key, v] of Object.entries(object)) {
        const property = s.properties[key];
        if (property) expectConforms(v, property, `${at}.${key}`, problems);
        else if (!s.additionalProperties) problems.push(`${at}.${key}: not documented`);
      }
    }
  }

  it('documents the answers the service really gives, field for field', async () => {
    const problems: string[] = [];
    const seen = new Set<string>();
    /** Sends a request and checks its answer against the operation's documented response. */
    const check = async (
      method: 'get' | 'post' | 'put' | 'delete',
      template: string,
      path: string,
      headers: Record<string, string>,
      body?: object,
    ) => {
      let request = t.http()[method](path).set(headers);
      if (method !== 'get' && method !== 'delete') request = request.set('Idempotency-Key', randomUUID());
      const res = await (body === undefined ? request : request.send(body));
      const op = document.paths[template][method];
      const response = op.responses[String(res.status)];
      seen.add(op.operationId!);
      if (res.status >= 300 || !response) {
        problems.push(`${op.operationId}: answered ${res.status} ${res.text.slice(0, 200)}`);
      } else if (res.status !== 204) {
        const media = Object.keys(response.content ?? {})[0];
        expect(res.headers['content-type']).toContain(media);
        if (media === 'application/json')
          expectConforms(res.body, response.content![media].schema!, op.operationId!, problems);
      }
      return res.body;
    };
    const admin = ctx.admin();
    const client = await ctx.fundedClient('10');
    const prover = await ctx.prover();
    const profile = {
      prover_id: prover.name,
      hardware_profile: HARDWARE,
      capabilities: CAPABILITIES,
      max_concurrency: 8,
    };
    await check('post', '/v1/provers/register', '/v1/provers/register', prover.key, profile); // 201
    await check('post', '/v1/provers/register', '/v1/provers/register', prover.key, { ...profile, region: 'eu' }); // 200

    // Credits.
    await check('post', '/v1/credits/accounts', '/v1/credits/accounts', admin, {
      account_type: 'user',
      account_id: ctx.name('acct'),
    });
    await check('post', '/v1/credits/mint', '/v1/credits/mint', admin, {
      account_type: 'user',
      account_id: client.name,
      amount: '5',
      memo: 'top-up',
      metadata: { reason: 'test' },
    });
    const spent = await check('post', '/v1/credits/spend', '/v1/credits/spend', client.key, { amount: '0.5' });
    await check('post', '/v1/credits/reward', '/v1/credits/reward', admin, { prover_id: prover.name, amount: '0.1' });
    await check('post', '/v1/credits/transfer', '/v1/credits/transfer', admin, {
      from: { account_type: 'user', account_id: client.name },
      to: { account_type: 'provider', account_id: prover.name },
      amount: '0.25',
    });
    // Stake: the prover bonds some of what it just received, and unbonds part of it.
    await check('post', '/v1/provers/{prover_id}/stake', `/v1/provers/${prover.name}/stake`, prover.key, {
      amount: '0.2',
    });
    await check('post', '/v1/provers/{prover_id}/unstake', `/v1/provers/${prover.name}/unstake`, prover.key, {
      amount: '0.1',
    });
    await check('post', '/v1/credits/transfers/batch', '/v1/credits/transfers/batch', admin, {
      items: [
        { id: randomUUID(), kind: 'mint', account_type: 'user', account_id: client.name, amount: '1' },
        { id: randomUUID(), kind: 'void', hold_id: randomUUID() }, // an unknown hold: a rejected outcome
      ],
    });
    const hold = await check('post', '/v1/credits/holds', '/v1/credits/holds', admin, {
      account_type: 'user',
      account_id: client.name,
      amount: '1',
      expires_in_seconds: 60,
    });
    await check('get', '/v1/credits/holds/{hold_id}', `/v1/credits/holds/${hold.hold_id}`, admin);
    await check('post', '/v1/credits/holds/{hold_id}/capture', `/v1/credits/holds/${hold.hold_id}/capture`, admin, {
      amount: '0.5',
    });
    const hold2 = await check('post', '/v1/credits/holds', '/v1/credits/holds', admin, {
      account_type: 'user',
      account_id: client.name,
      amount: '1',
    });
    await check('post', '/v1/credits/holds/{hold_id}/void', `/v1/credits/holds/${hold2.hold_id}/void`, admin, {});
    const account = `/v1/credits/accounts/user/${client.name}`;
    await check('get', '/v1/credits/accounts/{account_type}/{account_id}', account, client.key);
    await check('get', '/v1/credits/transactions', '/v1/credits/transactions?limit=2', client.key);
    await check(
      'get',
      '/v1/credits/transactions/{transfer_id}',
      `/v1/credits/transactions/${spent.transfer_id}`,
      admin,
    );
    const alertsPath = '/v1/credits/accounts/{account_type}/{account_id}/alerts';
    const alerts = await check('post', alertsPath, `${account}/alerts`, client.key, { below: '1', above: '100' });
    await check('get', alertsPath, `${account}/alerts`, client.key);
    await check('delete', `${alertsPath}/{alert_id}`, `${account}/alerts/${alerts.items[0].alert_id}`, client.key);

    // Registry and scheduler.
    const service = ctx.name('svc');
    await check('put', '/v1/registry/services/{id}', `/v1/registry/services/${service}`, admin, {
      price_per_unit: '0.25',
      unit: 'gpu_second',
      size_factor: '1',
      minimum_charge: '0.5',
      hardware_requirements: { gpu_count: 1 },
      category: 'ai-ml',
      input_schema: { type: 'object', properties: { n: { type: 'integer' } } },
      result_schema: { type: 'object' },
      example: { n: 1 },
    });
    await check('get', '/v1/registry/services/{id}', `/v1/registry/services/${service}`, client.key);
    await check('get', '/v1/registry/services/{id}/schema', `/v1/registry/services/${service}/schema`, client.key);
    const requirementsPath = '/v1/registry/services/{id}/requirements';
    await check('get', requirementsPath, `/v1/registry/services/${service}/requirements`, client.key);
    await check('get', '/v1/registry/services', '/v1/registry/services', client.key);
    const config = await check('get', '/v1/scheduler/config', '/v1/scheduler/config', admin);
    await check('put', '/v1/scheduler/config', '/v1/scheduler/config', admin, {
      w_score: '2',
      w_load: '1',
      w_gpu: '0.5',
      version: config.version,
    });

    // A job's whole life, with its receipts.
    const job = await check('post', '/v1/jobs/submit', '/v1/jobs/submit', client.key, {
      payload: { task: 'prove' },
      max_cost_micros: 1_000_000,
    });
    const id = job.network_job_id;
    await check('get', '/v1/placement/{key}', `/v1/placement/${id}`, admin);
    await check('post', '/v1/jobs/{network_job_id}/assign', `/v1/jobs/${id}/assign`, admin, {
      prover_ids: [prover.name],
    });
    await check('post', '/v1/provers/{prover_id}/poll', `/v1/provers/${prover.name}/poll`, prover.key, {});
    await check('post', '/v1/provers/{prover_id}/heartbeat', `/v1/provers/${prover.name}/heartbeat`, prover.key, {
      load_factor: 0.5,
      hardware_profile: HARDWARE,
      capabilities: CAPABILITIES,
    });
    await check('post', '/v1/jobs/{network_job_id}/result', `/v1/jobs/${id}/result`, prover.key, {
      success: true,
      final_cost_micros: 400_000,
    });
    await check('get', '/v1/jobs/{network_job_id}/result', `/v1/jobs/${id}/result`, client.key);
    await check('post', '/v1/services/{service}/{action}', '/v1/services/whisper/transcribe', client.key, {
      audio_url: 's3://bucket/a.wav',
      duration_seconds: 10,
    });
    await check('get', '/v1/jobs/{network_job_id}', `/v1/jobs/${id}`, client.key);
    await check('get', '/v1/jobs/{network_job_id}/timeline', `/v1/jobs/${id}/timeline`, client.key);
    const receipt = await check('get', '/v1/jobs/{network_job_id}/receipt', `/v1/jobs/${id}/receipt`, client.key);
    await check('post', '/v1/receipts/verify', '/v1/receipts/verify', {}, receipt);
    await check('get', '/v1/jobs/{network_job_id}/receipts', `/v1/jobs/${id}/receipts`, client.key);
    const cancelled = await check('post', '/v1/jobs/submit', '/v1/jobs/submit', client.key, {
      payload: 'x',
      max_cost_micros: 1000,
    });
    await check(
      'post',
      '/v1/jobs/{network_job_id}/cancel',
      `/v1/jobs/${cancelled.network_job_id}/cancel`,
      client.key,
      {},
    );
    const started = await check('post', '/v1/jobs/submit', '/v1/jobs/submit', client.key, {
      payload: 'y',
      max_cost_micros: 1000,
    });
    await ctx.assign(started.network_job_id, [prover.name]).expect(201);
    await check('post', '/v1/jobs/{network_job_id}/start', `/v1/jobs/${started.network_job_id}/start`, prover.key, {});
    // A metered job's usage report.
    const metered = await check('post', '/v1/jobs/submit', '/v1/jobs/submit', client.key, {
      payload: 'z',
      service,
      units: '4',
      max_cost_micros: 2_000_000,
    });
    await ctx.assign(metered.network_job_id, [prover.name]).expect(201);
    await ctx.start(metered.network_job_id, prover.key).expect(201);
    const usagePath = `/v1/jobs/${metered.network_job_id}/usage`;
    await check('post', '/v1/jobs/{network_job_id}/usage', usagePath, prover.key, { units: '3', cumulative: true });
    // A job completed within a dispute window: disputed, resolved, and read with its dispute.
    const windowed = ctx.name('svc');
    await ctx
      .putService(windowed, {
        price_per_unit: '0.25',
        unit: 'gpu_second',
        size_factor: '1',
        minimum_charge: '0',
        hardware_requirements: {},
        dispute_window_seconds: 3600,
      })
      .expect(201);
    const disputed = await check('post', '/v1/jobs/submit', '/v1/jobs/submit', client.key, {
      payload: 'w',
      service: windowed,
      units: '2',
      max_cost_micros: 500_000,
    });
    const disputedPath = `/v1/jobs/${disputed.network_job_id}`;
    await ctx.assign(disputed.network_job_id, [prover.name]).expect(201);
    await ctx.start(disputed.network_job_id, prover.key).expect(201);
    await ctx.report(disputed.network_job_id, prover.key, { success: true, final_cost_micros: 500_000 }).expect(201);
    await check('get', '/v1/jobs/{network_job_id}', disputedPath, client.key);
    await check('post', '/v1/jobs/{network_job_id}/dispute', `${disputedPath}/dispute`, client.key, { reason: 'no' });
    await check('post', '/v1/jobs/{network_job_id}/resolve', `${disputedPath}/resolve`, admin, {
      outcome: 'refund',
      refund_micros: '100000',
    });

    // Provers.
    await check('get', '/v1/provers/{prover_id}', `/v1/provers/${prover.name}`, prover.key);
    await check('get', '/v1/provers/{prover_id}/capabilities', `/v1/provers/${prover.name}/capabilities`, prover.key);
    await check('get', '/v1/provers/{prover_id}/score-history', `/v1/provers/${prover.name}/score-history`, prover.key);
    await check('post', '/v1/provers/{prover_id}/drain', `/v1/provers/${prover.name}/drain`, prover.key, {});
    await check('post', '/v1/provers/{prover_id}/resume', `/v1/provers/${prover.name}/resume`, prover.key, {});

    // Payouts (the prover was rewarded above).
    const payouts = '/v1/provers/{prover_id}/payouts';
    const mine = `/v1/provers/${prover.name}/payouts`;
    const paid = await check('post', payouts, mine, prover.key, { amount: '0.02' });
    await check('post', `${payouts}/{payout_id}/confirm`, `${mine}/${paid.payout_id}/confirm`, admin, {
      external_ref: 'wire-1',
    });
    const failed = await check('post', payouts, mine, prover.key, { amount: '0.01' });
    await check('post', `${payouts}/{payout_id}/fail`, `${mine}/${failed.payout_id}/fail`, admin, {
      reason: 'account closed',
    });
    await check('get', payouts, `${mine}?limit=1`, prover.key);
    await check('get', '/v1/admin/payouts', '/v1/admin/payouts?status=confirmed', admin);

    // Receipts and settlement.
    await check('get', '/v1/receipts/keys', '/v1/receipts/keys', {});
    const sealed = await check('post', '/v1/settlement/batches', '/v1/settlement/batches', admin, {});
    const n = sealed.batch.batch_no;
    await check('post', '/v1/settlement/batches', '/v1/settlement/batches', admin, {});
    await check('get', '/v1/settlement/batches', '/v1/settlement/batches', {});
    await check('get', '/v1/settlement/batches/{n}', `/v1/settlement/batches/${n}`, {});
    await check(
      'get',
      '/v1/settlement/batches/{n}/proofs/transfers/{transfer_id}',
      `/v1/settlement/batches/${n}/proofs/transfers/${spent.transfer_id}`,
      client.key,
    );
    await check(
      'get',
      '/v1/settlement/batches/{n}/proofs/accounts/{account_type}/{account_id}',
      `/v1/settlement/batches/${n}/proofs/accounts/user/${client.name}`,
      client.key,
    );
    await check('get', '/v1/settlement/status', '/v1/settlement/status', admin);
    await check('get', '/v1/settlement/fallback/status', '/v1/settlement/fallback/status', admin);
    await check('get', '/v1/settlement/fallback/pending', '/v1/settlement/fallback/pending', admin);
    await check('post', '/v1/settlement/fallback/reconcile', '/v1/settlement/fallback/reconcile', admin, {});
    await check('get', '/v1/settlement/fallback/consistency', '/v1/settlement/fallback/consistency', admin);

    // Webhooks, admin, auth, operations.
    const hook = await check('post', '/v1/webhooks', '/v1/webhooks', client.key, {
      url: 'http://127.0.0.1:9/tally',
      event_types: ['JobCompleted'],
    });
    await check('get', '/v1/webhooks', '/v1/webhooks', client.key);
    await check(
      'get',
      '/v1/webhooks/{webhook_id}/deliveries',
      `/v1/webhooks/${hook.webhook_id}/deliveries`,
      client.key,
    );
    await check('delete', '/v1/webhooks/{webhook_id}', `/v1/webhooks/${hook.webhook_id}`, client.key);
    await check('get', '/v1/admin/jobs', '/v1/admin/jobs?limit=2', admin);
    await check('get', '/v1/admin/stats', '/v1/admin/stats', admin);
    await check('post', '/v1/admin/ledger/verify', '/v1/admin/ledger/verify', admin, {});
    await check('get', '/v1/admin/ledger/verify', '/v1/admin/ledger/verify', admin);
    await check('get', '/v1/admin/overview', '/v1/admin/overview', admin);
    await check('get', '/v1/admin/accounts', '/v1/admin/accounts?limit=2', admin);
    await check(
      'get',
      '/v1/credits/accounts/{account_type}/{account_id}/holds',
      `/v1/credits/accounts/user/${client.name}/holds`,
      client.key,
    );
    await check('get', '/v1/admin/provers', '/v1/admin/provers', admin);
    await check('get', '/v1/events/status', '/v1/events/status', admin);
    const key = await check('post', '/v1/admin/keys', '/v1/admin/keys', admin, { role: 'client', subject: ctx.name() });
    await check('get', '/v1/admin/keys', '/v1/admin/keys?limit=2', admin);
    await check('delete', '/v1/admin/keys/{id}', `/v1/admin/keys/${key.id}`, admin);
    await check('get', '/v1/admin/control-log', '/v1/admin/control-log?limit=2', admin);
    await check('get', '/v1/auth/whoami', '/v1/auth/whoami', client.key);
    await check('post', '/v1/auth/whoami', '/v1/auth/whoami', client.key, {});
    await check('get', '/metrics', '/metrics', {});
    await check('get', '/docs/errors', '/docs/errors', {});
    await check('get', '/v1/system/info', '/v1/system/info', {});
    await check('get', '/health', '/health', {});
    await check('get', '/ready', '/ready', {});
    await check('get', '/health/details', '/health/details', admin);

    expect(problems).toEqual([]);
    // Every operation answered, but the event stream (an open text/event-stream, tested in its own spec).
    expect(operations.map(({ op }) => op.operationId!).filter((opId) => !seen.has(opId))).toEqual(['events.stream']);
  });
});
