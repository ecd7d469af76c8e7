import { randomUUID } from 'node:crypto';
import { UnitOfWork } from '@tally/database';
import { ServiceRegistry, ServiceScheduleRepository, serviceScheduleSpec } from '@tally/services';
import { GrpcCtx } from '../../support/grpc-ctx';
import { JobsCtx } from '../../support/jobs-ctx';
import { microsOf } from '../../support/ledger-ctx';
import { CAPABILITIES, HARDWARE } from '../../support/prover-profile';
import { startTestApp, TestApp } from '../../support/test-app';

type Headers = Record<string, string>;
const PROBLEM = /^application\/problem\+json/;

/** The five named typed endpoints, each with a body and its cost worked out by hand from services.json. */
const NAMED: { path: string; body: Record<string, unknown>; units: string; unit: string; micros: bigint }[] = [
  {
    // 10000 tokens × 0.000002 = 0.02 credits
    path: 'llm/inference',
    body: { model: 'llama-3-8b', prompt: 'Explain escrow.', max_tokens: 10000 },
    units: '10000',
    unit: 'token',
    micros: 20_000n,
  },
  {
    // 600 s × 0.0001 = 0.06 credits
    path: 'whisper/transcribe',
    body: { audio_url: 's3://b/a.wav', duration_seconds: 600 },
    units: '600',
    unit: 'audio_second',
    micros: 60_000n,
  },
  {
    // 2 images of 1024×1024 = 8 images of 512×512, × 0.02 = 0.16 credits
    path: 'stable-diffusion/generate',
    body: { prompt: 'a lighthouse', width: 1024, height: 1024, images: 2 },
    units: '8',
    unit: 'image',
    micros: 160_000n,
  },
  {
    // 120.5 s × 0.0005 = 0.06025 credits
    path: 'ffmpeg/transcode',
    body: { input_url: 's3://b/v.mov', codec: 'h265', resolution: '1080p', duration_seconds: 120.5 },
    units: '120.5',
    unit: 'video_second',
    micros: 60_250n,
  },
  {
    // frames 1…24 = 24 frames × 0.05 = 1.2 credits
    path: 'blender/render',
    body: { scene_url: 's3://b/s.blend', frame_start: 1, frame_end: 24 },
    units: '24',
    unit: 'frame',
    micros: 1_200_000n,
  },
];

describe('typed service endpoints', () => {
  let t: TestApp;
  let ctx: JobsCtx;
  beforeAll(async () => {
    // Jobs move only by the routes here (an admin assigns): no scheduler.
    t = await startTestApp({ SCHEDULER_ENABLED: 'false' });
    ctx = new JobsCtx(t);
  });
  afterAll(() => t.close());

  const typed = (path: string, key: Headers, body: unknown, query = '') =>
    t
      .http()
      .post(`/v1/services/${path}${query}`)
      .set(key)
      .send(body as object);
  const result = (id: string, key: Headers) => t.http().get(`/v1/jobs/${id}/result`).set(key);

  /** A registered prover whose GPUs run the seeded services (CUDA 12). */
  async function gpuProver(): Promise<{ name: string; key: Headers }> {
    const prover = await ctx.prover();
    await t
      .http()
      .post('/v1/provers/register')
      .set(prover.key)
      .send({
        prover_id: prover.name,
        hardware_profile: HARDWARE,
        capabilities: { ...CAPABILITIES, supported_kernels: ['cuda-12', 'ntt', 'msm'] },
        region: 'eu-west-1',
        max_concurrency: 64,
      })
      .expect(201);
    return prover;
  }

  /** Submits a typed llm request on `replicas` replicas and starts it on `provers`; returns the job id. */
  async function runningLlm(client: Headers, provers: { name: string; key: Headers }[]): Promise<string> {
    const body = { model: 'mistral-7b', prompt: `p ${randomUUID()}`, max_tokens: 20000 };
    const submitted = await typed('llm/inference', client, body, `?replicas=${provers.length}`).expect(201);
    const id = submitted.body.network_job_id;
    await ctx
      .assign(
        id,
        provers.map((p) => p.name),
      )
      .expect(201);
    for (const p of provers) await ctx.start(id, p.key).expect(201);
    return id;
  }

  it.each(NAMED)('POST /v1/services/$path holds the estimate and submits an ordinary job', async (named) => {
    const client = await ctx.fundedClient('10');
    const res = await typed(named.path, client.key, named.body).expect(201);
    const service = named.path.replace('/', '-');
    expect(res.body).toEqual({
      network_job_id: expect.stringMatching(/^\d+$/),
      status: 'PENDING',
      service,
      service_version: '1',
      units: named.units,
      unit: named.unit,
      estimate_micros: named.micros.toString(),
      held_micros: named.micros.toString(),
    });
    // The hold is the estimate, held from the client's credits like any job's.
    expect(microsOf((await ctx.balance('user', client.name)).pending)).toBe(named.micros);
    const job = (await ctx.job(res.body.network_job_id).expect(200)).body;
    expect(job).toMatchObject({
      status: 'PENDING',
      service,
      service_version: '1',
      units: named.units,
      replicas: 1,
      held_micros: named.micros.toString(),
      max_cost_micros: named.micros.toString(),
    });
  });

  it('prices every replica, and takes priority and a higher ceiling from the query', async () => {
    const client = await ctx.fundedClient('10');
    const res = await typed(
      'blender/render',
      client.key,
      NAMED[4].body,
      '?replicas=3&priority=HIGH&max_cost_micros=9000000',
    ).expect(201);
    expect(res.body).toMatchObject({ estimate_micros: '3600000', held_micros: '3600000' });
    const job = (await ctx.job(res.body.network_job_id).expect(200)).body;
    expect(job).toMatchObject({ replicas: 3, priority: 'HIGH', max_cost_micros: '9000000', held_micros: '3600000' });
    // A ceiling below the estimate is refused whole (DSE-013), nothing held.
    const before = await ctx.balance('user', client.name);
    const low = await typed('blender/render', client.key, NAMED[4].body, '?max_cost_micros=1199999').expect(422);
    expect(low.body).toMatchObject({ code: 'DSE-013', estimate_micros: '1200000' });
    expect(await ctx.balance('user', client.name)).toEqual(before);
  });

  it('refuses a body the input schema refuses: DSE-001, each error a JSON pointer, nothing held', async () => {
    const client = await ctx.fundedClient('10');
    const res = await typed('whisper/transcribe', client.key, {
      duration_seconds: '600',
      language: 'english',
      speaker: 'x',
    }).expect(400);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.body).toMatchObject({ code: 'DSE-001', field: '/audio_url' });
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        { field: '/audio_url', message: "must have required property 'audio_url'" },
        { field: '/speaker', message: 'is not a field of this service' },
        { field: '/duration_seconds', message: 'must be number' },
        { field: '/language', message: 'must match pattern "^[a-z]{2}$"' },
      ]),
    );
    expect(res.body.errors).toHaveLength(4);
    // Nested: a width that is no multiple of 64.
    const sd = await typed('stable-diffusion/generate', client.key, { prompt: 'x', width: 1000, height: 512 }).expect(
      400,
    );
    expect(sd.body.errors).toEqual([{ field: '/width', message: 'must be multiple of 64' }]);
    // A span that runs backwards has no units.
    const frames = await typed('blender/render', client.key, { scene_url: 's', frame_start: 9, frame_end: 3 }).expect(
      400,
    );
    expect(frames.body).toMatchObject({ code: 'DSE-001', field: '/frame_end' });
    expect(await ctx.balance('user', client.name)).toMatchObject({ pending: '0', available: '10' });
  });

  it('replays a request sent again with its Idempotency-Key, holding once; another body is DSE-009', async () => {
    const client = await ctx.fundedClient('10');
    const key = { ...client.key, 'Idempotency-Key': `typed-${randomUUID()}` };
    const first = await typed('whisper/transcribe', key, NAMED[1].body).expect(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await typed('whisper/transcribe', key, { ...NAMED[1].body }).expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await ctx.balance('user', client.name)).toMatchObject({ pending: '0.06' });
    const other = await typed('whisper/transcribe', key, { ...NAMED[1].body, duration_seconds: 601 }).expect(409);
    expect(other.body.code).toBe('DSE-009');
    expect(await ctx.balance('user', client.name)).toMatchObject({ pending: '0.06' });
  });

  it('answers an unknown service 404 DSE-015, a malformed route 400, and other roles 403', async () => {
    const client = await ctx.fundedClient('1');
    const unknown = await typed('no-such/service', client.key, {}).expect(404);
    expect(unknown.headers['content-type']).toMatch(PROBLEM);
    expect(unknown.body).toMatchObject({ code: 'DSE-015', service_id: 'no-such-service' });
    // The action is the id's last segment: a hyphen there names no route.
    expect((await typed('stable/diffusion-generate', client.key, {}).expect(400)).body).toMatchObject({
      code: 'DSE-001',
      field: 'action',
    });
    expect((await typed('LLM/inference', client.key, {}).expect(400)).body.field).toBe('service');
    const prover = await ctx.prover();
    expect((await typed('llm/inference', prover.key, NAMED[0].body).expect(403)).body.code).toBe('DSE-002');
    await t.http().post('/v1/services/llm/inference').send(NAMED[0].body).expect(401);
  });

  it('serves any service whose id splits at its last hyphen, by the units_rule its PUT gave', async () => {
    const base = `ocr${randomUUID().slice(0, 6)}.v2`;
    const id = `${base}-run`;
    const service = {
      price_per_unit: '0.01',
      unit: 'page',
      size_factor: '2',
      minimum_charge: '0',
      hardware_requirements: {},
      input_schema: {
        type: 'object',
        properties: { pages: { type: 'integer', minimum: 1 }, copies: { type: 'integer', minimum: 1 } },
        required: ['pages'],
      },
      example: { pages: 3 },
    };
    // A rule naming a field the schema does not require, without a default, is refused at load.
    const bad = await t
      .http()
      .put(`/v1/registry/services/${id}`)
      .set(ctx.admin())
      .send({ ...service, units_rule: { multiply: ['/copies'] } })
      .expect(400);
    expect(bad.body).toMatchObject({ code: 'DSE-001', field: 'units_rule.multiply[0]' });
    // Without a rule the service exists but has no typed endpoint.
    await t.http().put(`/v1/registry/services/${id}`).set(ctx.admin()).send(service).expect(201);
    const client = await ctx.fundedClient('1');
    expect((await typed(`${base}/run`, client.key, { pages: 3 }).expect(404)).body.code).toBe('DSE-015');

    const rule = { multiply: ['/pages', { pointer: '/copies', default: 1 }], scale: '1' };
    await t
      .http()
      .put(`/v1/registry/services/${id}`)
      .set(ctx.admin())
      .send({ ...service, units_rule: rule })
      .expect(200);
    const schema = await t.http().get(`/v1/registry/services/${id}/schema`).set(client.key).expect(200);
    expect(schema.body.units_rule).toEqual(rule);
    // 3 pages × 2 copies × 0.01 × size factor 2 = 0.12 credits, priced at version 2.
    const res = await typed(`${base}/run`, client.key, { pages: 3, copies: 2 }).expect(201);
    expect(res.body).toMatchObject({ service: id, service_version: '2', units: '6', estimate_micros: '120000' });
    expect(res.body.held_micros).toBe(res.body.estimate_micros);
  });

  it('gives a service stored without a units rule the seed rule once, as a new version, while its schema matches', async () => {
    const id = `legacy${randomUUID().slice(0, 6)}-run`;
    const input = {
      price_per_unit: '0.01',
      unit: 'page',
      size_factor: '1',
      minimum_charge: '0',
      hardware_requirements: {},
      input_schema: { type: 'object', properties: { pages: { type: 'integer' } }, required: ['pages'] },
    };
    // As it was stored before units rules existed.
    await t.http().put(`/v1/registry/services/${id}`).set(ctx.admin()).send(input).expect(201);
    const repository = t.app.get(ServiceScheduleRepository, { strict: false });
    const uow = t.app.get(UnitOfWork, { strict: false });
    const add = (schema = input.input_schema) =>
      uow.run(() =>
        repository.addUnitsRules([
          serviceScheduleSpec(id, { ...input, input_schema: schema, units_rule: { multiply: ['/pages'] } }),
        ]),
      );
    // Another input schema: the rule may not fit, left alone.
    expect(await add({ ...input.input_schema, properties: { pages: { type: 'number' } } })).toBe(0);
    // Replicas starting together: one adds it.
    expect((await Promise.all([add(), add(), add()])).reduce((a, b) => a + b)).toBe(1);
    const registry = t.app.get(ServiceRegistry);
    expect(await registry.get(id)).toMatchObject({ version: 2, unitsRule: { multiply: ['/pages'], scale: '1' } });
    expect((await registry.get(id, 1)).unitsRule).toBeNull();
    const client = await ctx.fundedClient('1');
    await typed(id.replace(/-run$/, '/run'), client.key, { pages: 4 }).expect(201);
  });

  it('refuses a body over 1 MB with 413 DSE-001', async () => {
    const client = await ctx.fundedClient('1');
    const body = { model: 'llama-3-8b', prompt: 'x', max_tokens: 1, pad: 'y'.repeat(1024 * 1024) };
    const res = await typed('llm/inference', client.key, body).expect(413);
    expect(res.body).toMatchObject({ code: 'DSE-001' });
  });

  it('one replica: the result is the reported metadata, checked against the result schema', async () => {
    const client = await ctx.fundedClient('10');
    const prover = await gpuProver();
    const id = await runningLlm(client.key, [prover]);
    // Not decided yet: no result (DSE-015, with the job's status as job_status).
    const early = await result(id, client.key).expect(404);
    expect(early.body).toMatchObject({ code: 'DSE-015', network_job_id: id, status: 404, job_status: 'RUNNING' });

    const metadata = { output_tokens: 212, finish_reason: 'stop' };
    await ctx
      .report(id, prover.key, {
        success: true,
        final_cost_micros: 30_000,
        result_hash: 'h-one',
        result_metadata: metadata,
      })
      .expect(201);
    const res = await result(id, client.key).expect(200);
    expect(res.body).toEqual({
      network_job_id: id,
      service: 'llm-inference',
      service_version: '1',
      result_hash: 'h-one',
      result: metadata,
      result_valid: true,
      result_errors: [],
      provers: [prover.name],
      final_cost_micros: '30000',
      completed_at: expect.any(String),
    });
    // An admin reads it too.
    expect((await result(id, ctx.admin()).expect(200)).body).toEqual(res.body);
  });

  it('metadata the result schema refuses is returned flagged invalid, with its errors', async () => {
    const client = await ctx.fundedClient('10');
    const prover = await gpuProver();
    const id = await runningLlm(client.key, [prover]);
    await ctx
      .report(id, prover.key, { success: true, final_cost_micros: 1, result_metadata: { output_tokens: 'many' } })
      .expect(201);
    const res = await result(id, client.key).expect(200);
    expect(res.body).toMatchObject({
      result: { output_tokens: 'many' },
      result_valid: false,
      result_errors: [{ field: '/output_tokens', message: 'must be integer' }],
      result_hash: null,
    });
    // No metadata at all: null, and invalid.
    const bare = await runningLlm(client.key, [prover]);
    await ctx.report(bare, prover.key, { success: true, final_cost_micros: 1 }).expect(201);
    expect((await result(bare, client.key).expect(200)).body).toMatchObject({
      result: null,
      result_valid: false,
      result_errors: [{ field: '/', message: 'no result metadata was reported' }],
    });
  });

  it('three replicas: the result is the majority’s metadata and names the provers that agreed', async () => {
    const client = await ctx.fundedClient('10');
    const [a, b, c] = [await gpuProver(), await gpuProver(), await gpuProver()];
    const id = await runningLlm(client.key, [a, b, c]);
    const agreed = { output_tokens: 100, finish_reason: 'length' };
    await ctx
      .report(id, c.key, {
        success: true,
        final_cost_micros: 40_000,
        result_hash: 'dissent',
        result_metadata: { output_tokens: 1 },
      })
      .expect(201);
    await ctx
      .report(id, a.key, { success: true, final_cost_micros: 40_000, result_hash: 'agreed', result_metadata: agreed })
      .expect(201);
    await result(id, client.key).expect(404); // AWAITING_REPLICAS: not decided
    const decided = await ctx
      .report(id, b.key, { success: true, final_cost_micros: 40_000, result_hash: 'agreed', result_metadata: agreed })
      .expect(201);
    expect(decided.body.outcome).toBe('COMPLETED');
    const res = await result(id, client.key).expect(200);
    expect(res.body).toMatchObject({
      result_hash: 'agreed',
      result: agreed,
      result_valid: true,
      provers: [a.name, b.name].sort(),
    });
  });

  it('refuses metadata over 64 KB with DSE-001 naming the limit, and takes nothing of the report', async () => {
    const client = await ctx.fundedClient('10');
    const prover = await gpuProver();
    const id = await runningLlm(client.key, [prover]);
    const big = { output_tokens: 1, text: 'x'.repeat(64 * 1024) };
    const res = await ctx
      .report(id, prover.key, { success: true, final_cost_micros: 1, result_metadata: big })
      .expect(400);
    expect(res.body).toMatchObject({ code: 'DSE-001', field: 'result_metadata', limit_bytes: 65536 });
    expect(res.body.detail).toMatch(/64 KB/);
    expect((await ctx.job(id).expect(200)).body.status).toBe('RUNNING');
    // Metadata only goes with a success.
    const failure = await ctx
      .report(id, prover.key, { success: false, error_message: 'oom', result_metadata: { output_tokens: 1 } })
      .expect(400);
    expect(failure.body.code).toBe('DSE-001');
  });

  it('takes result metadata over gRPC too (a Struct), with the same 64 KB limit', async () => {
    const grpc = new GrpcCtx(t);
    try {
      const client = await ctx.fundedClient('10');
      const prover = await gpuProver();
      const id = await runningLlm(client.key, [prover]);
      const struct = (fields: Record<string, unknown>) => ({ fields });
      await expect(
        grpc.call(
          grpc.jobs,
          'ReportResult',
          {
            network_job_id: id,
            success: true,
            final_cost_micros: '5',
            result_metadata: struct({ text: { stringValue: 'x'.repeat(64 * 1024) } }),
          },
          prover.key,
        ),
      ).rejects.toMatchObject({ dseCode: 'DSE-001' });
      await grpc.call(
        grpc.jobs,
        'ReportResult',
        {
          network_job_id: id,
          success: true,
          final_cost_micros: '5',
          result_metadata: struct({ output_tokens: { numberValue: 9 }, finish_reason: { stringValue: 'stop' } }),
        },
        prover.key,
      );
      expect((await result(id, client.key).expect(200)).body).toMatchObject({
        result: { output_tokens: 9, finish_reason: 'stop' },
        result_valid: true,
        provers: [prover.name],
      });
    } finally {
      grpc.close();
    }
  });

  it('another client cannot read the result (404 DSE-003, as the job), nor a prover (403)', async () => {
    const client = await ctx.fundedClient('10');
    const other = await ctx.fundedClient('1');
    const prover = await gpuProver();
    const id = await runningLlm(client.key, [prover]);
    await ctx
      .report(id, prover.key, { success: true, final_cost_micros: 1, result_metadata: { output_tokens: 3 } })
      .expect(201);
    const res = await result(id, other.key).expect(404);
    expect(res.body).toMatchObject({ code: 'DSE-003', network_job_id: id });
    await t.http().get(`/v1/jobs/${id}`).set(other.key).expect(404);
    expect((await result(id, prover.key).expect(403)).body.code).toBe('DSE-002');
    expect((await result('999999999', client.key).expect(404)).body.code).toBe('DSE-003');
  });
});
