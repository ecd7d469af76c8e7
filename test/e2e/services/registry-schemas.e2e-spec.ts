import { randomUUID } from 'node:crypto';
import { SEEDED_SERVICES } from '@tally/services';
import { JobsCtx } from '../../support/jobs-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

const CATEGORIES = [
  'ai-ml',
  'media-processing',
  'scientific-computing',
  'data-analytics',
  'gaming',
  'development-tools',
];

/** A valid service with schemas; tests override what they exercise. */
const body = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  price_per_unit: '0.01',
  unit: 'gpu_second',
  size_factor: '1',
  minimum_charge: '0.5',
  hardware_requirements: { gpu_count: 1, gpu_memory_gb: 16 },
  category: 'media-processing',
  input_schema: {
    type: 'object',
    properties: { seconds: { type: 'number', exclusiveMinimum: 0 } },
    required: ['seconds'],
  },
  result_schema: { type: 'object', properties: { frames: { type: 'integer' } } },
  example: { seconds: 10 },
  ...over,
});

describe('service registry: categories, schemas, requirements and versions', () => {
  let t: TestApp;
  let ctx: JobsCtx;
  let client: Record<string, string>;
  beforeAll(async () => {
    t = await startTestApp({ SCHEDULER_ENABLED: 'false' });
    ctx = new JobsCtx(t);
    client = await ctx.newKey('client', ctx.name('c'));
  });
  afterAll(() => t.close());

  const sid = () => `svc-${randomUUID().slice(0, 8)}`;
  const put = (id: string, payload: object) =>
    t.http().put(`/v1/registry/services/${id}`).set(ctx.admin()).send(payload);
  const get = (path: string) => t.http().get(`/v1/registry/services${path}`).set(client);

  it('seeds 30+ services at start, in all 6 categories, and lists them by category', async () => {
    const all = (await get('').expect(200)).body.items as { id: string; category: string }[];
    const seeded = all.filter((s) => SEEDED_SERVICES.some((x) => x.id === s.id));
    expect(seeded.length).toBe(SEEDED_SERVICES.length);
    expect(seeded.length).toBeGreaterThanOrEqual(30);
    for (const category of CATEGORIES) {
      const listed = (await get(`?category=${category}`).expect(200)).body.items as { category: string }[];
      expect(listed.length).toBeGreaterThanOrEqual(4);
      expect(listed.every((s) => s.category === category)).toBe(true);
    }
    const bad = await get('?category=astrology').expect(400);
    expect(bad.body.code).toBe('DSE-001');
  });

  it('serves a seeded service, its schema and its requirements', async () => {
    const llm = (await get('/llm-inference').expect(200)).body;
    expect(llm).toMatchObject({ id: 'llm-inference', category: 'ai-ml', unit: 'token', version: '1' });
    const schema = (await get('/llm-inference/schema').expect(200)).body;
    expect(schema).toMatchObject({ id: 'llm-inference', version: '1' });
    expect(schema.input_schema.required).toEqual(expect.arrayContaining(['model', 'prompt', 'max_tokens']));
    expect(schema.result_schema.type).toBe('object');
    expect(schema.example).toMatchObject({ model: 'llama-3-8b' });
    const requirements = (await get('/blender-render/requirements').expect(200)).body;
    expect(requirements).toEqual({
      id: 'blender-render',
      version: '1',
      hardware_requirements: {
        gpu_count: 1,
        gpu_memory_gb: 16,
        ram_gb: 32,
        cpu_cores: 8,
        supported_kernels: ['cuda-12', 'optix'],
      },
    });
    expect((await get('/no-such-service/schema').expect(404)).body.code).toBe('DSE-015');
    expect((await get('/no-such-service/requirements').expect(404)).body.code).toBe('DSE-015');
  });

  it('a PUT makes a new version; the old one stays readable with ?version=n', async () => {
    const id = sid();
    await put(id, body()).expect(201);
    const v2 = await put(
      id,
      body({
        price_per_unit: '0.02',
        hardware_requirements: { gpu_count: 2 },
        category: 'gaming',
        example: { seconds: 3 },
      }),
    ).expect(200);
    expect(v2.body).toMatchObject({ version: '2', price_per_unit: '0.02', category: 'gaming' });

    expect((await get(`/${id}`).expect(200)).body).toMatchObject({ version: '2', price_per_unit: '0.02' });
    expect((await get(`/${id}?version=1`).expect(200)).body).toMatchObject({
      version: '1',
      price_per_unit: '0.01',
      category: 'media-processing',
    });
    expect((await get(`/${id}/requirements?version=1`).expect(200)).body.hardware_requirements).toEqual({
      gpu_count: 1,
      gpu_memory_gb: 16,
    });
    expect((await get(`/${id}/requirements`).expect(200)).body.hardware_requirements).toEqual({ gpu_count: 2 });
    expect((await get(`/${id}/schema?version=1`).expect(200)).body.example).toEqual({ seconds: 10 });
    expect((await get(`/${id}/schema?version=2`).expect(200)).body.example).toEqual({ seconds: 3 });
    expect((await get(`/${id}?version=3`).expect(404)).body.code).toBe('DSE-015');
    expect((await get(`/${id}?version=0`).expect(400)).body.code).toBe('DSE-001');
    // The listing shows only the current version.
    const listed = (await get('?category=gaming').expect(200)).body.items as { id: string; version: string }[];
    expect(listed.filter((s) => s.id === id)).toEqual([expect.objectContaining({ version: '2' })]);
  });

  it('a job records the version it was priced with', async () => {
    const id = sid();
    await put(id, body()).expect(201);
    const funded = await ctx.fundedClient('20');
    // 0.01 × 100 = 1 credit at version 1
    const first = await ctx.submit(funded.key, { max_cost_micros: 5_000_000, service: id, units: '100' }).expect(201);
    expect(first.body.held_micros).toBe('1000000');
    await put(id, body({ price_per_unit: '0.03' })).expect(200);
    const second = await ctx.submit(funded.key, { max_cost_micros: 5_000_000, service: id, units: '100' }).expect(201);
    expect(second.body.held_micros).toBe('3000000');
    // Each job names the version it was priced with, after the schedule moved on.
    expect((await ctx.job(first.body.network_job_id).expect(200)).body).toMatchObject({
      service: id,
      service_version: '1',
      held_micros: '1000000',
    });
    expect((await ctx.job(second.body.network_job_id).expect(200)).body).toMatchObject({
      service_version: '2',
      held_micros: '3000000',
    });
    const plain = await ctx.submit(funded.key, { max_cost_micros: 1_000_000 }).expect(201);
    expect((await ctx.job(plain.body.network_job_id).expect(200)).body.service_version).toBeNull();
  });

  it('refuses a schema that does not compile, or an example it refuses, with DSE-001 naming the field', async () => {
    const id = sid();
    const badInput = await put(id, body({ input_schema: { type: 'integerz' } })).expect(400);
    expect(badInput.body).toMatchObject({ code: 'DSE-001', field: 'input_schema' });
    const badResult = await put(id, body({ result_schema: { type: 'object', requird: ['x'] } })).expect(400);
    expect(badResult.body).toMatchObject({ code: 'DSE-001', field: 'result_schema' });
    const badExample = await put(id, body({ example: { seconds: -1 } })).expect(400);
    expect(badExample.body).toMatchObject({ code: 'DSE-001', field: 'example' });
    const badCategory = await put(id, body({ category: 'astrology' })).expect(400);
    expect(badCategory.body.code).toBe('DSE-001');
    const notObject = await put(id, body({ input_schema: 'string' })).expect(400);
    expect(notObject.body.code).toBe('DSE-001');
    await get(`/${id}`).expect(404); // nothing was stored
  });
});
