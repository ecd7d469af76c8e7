import { randomUUID } from 'node:crypto';
import { NotFoundError } from '@tally/shared';
import { ServiceRegistry } from '@tally/services';
import { LedgerCtx } from '../../support/ledger-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

const PROBLEM = /^application\/problem\+json/;

/** A valid schedule; tests override what they exercise. */
const body = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  price_per_unit: '0.25',
  unit: 'gpu_second',
  size_factor: '1.5',
  minimum_charge: '0.5',
  hardware_requirements: { gpu_count: 1, gpu_memory_gb: 24 },
  description: 'Groth16 proving on one GPU',
  ...over,
});

describe('service registry API', () => {
  let t: TestApp;
  let ctx: LedgerCtx;
  let client: Record<string, string>;
  let prover: Record<string, string>;
  beforeAll(async () => {
    t = await startTestApp();
    ctx = new LedgerCtx(t);
    client = await ctx.newKey('client', ctx.name('c'));
    prover = await ctx.newKey('prover', ctx.name('p'));
  });
  afterAll(() => t.close());

  /** A fresh service id, so tests never collide. */
  const sid = (prefix = 'svc') => `${prefix}-${randomUUID().slice(0, 8)}`;
  const put = (id: string, payload: unknown, headers = ctx.admin()) =>
    t
      .http()
      .put(`/v1/registry/services/${id}`)
      .set(headers)
      .send(payload as object);
  const get = (id: string, headers = ctx.admin()) => t.http().get(`/v1/registry/services/${id}`).set(headers);

  it('creates with 201 and replaces with 200, the version growing by one on every PUT', async () => {
    const id = sid();
    const created = await put(id, body()).expect(201);
    expect(created.headers.location).toBe(`/v1/registry/services/${id}`);
    expect(created.body).toEqual({
      id,
      price_per_unit: '0.25',
      unit: 'gpu_second',
      size_factor: '1.5',
      minimum_charge: '0.5',
      hardware_requirements: { gpu_count: 1, gpu_memory_gb: 24 },
      description: 'Groth16 proving on one GPU',
      category: 'development-tools', // the default when none is sent
      fee_bps: null, // the platform default
      base_share_bps: 0, // the majority shares the whole pool
      min_stake_micros: null, // no minimum stake unless one is given
      slash_dissent_bps: 0, // no slashing unless terms are given
      slash_timeout_bps: 0,
      slash_cap_micros: null,
      metered_refund: 'earned', // metered usage already reported stays paid
      slash_dispute_bps: 0, // a dispute lost slashes nothing
      dispute_window_seconds: null, // the platform's DISPUTE_WINDOW_SECONDS
      version: '1', // int64: a decimal string
      created_at: expect.any(String),
      updated_at: created.body.created_at,
    });

    const replaced = await put(id, body({ price_per_unit: '0.3' })).expect(200);
    expect(replaced.headers.location).toBeUndefined();
    expect(replaced.body).toMatchObject({
      id,
      price_per_unit: '0.3',
      version: '2',
      created_at: created.body.created_at,
    });
    expect(Date.parse(replaced.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(created.body.updated_at));

    // The same body again is still a PUT: version 3.
    expect((await put(id, body({ price_per_unit: '0.3' })).expect(200)).body.version).toBe('3');
    expect((await get(id).expect(200)).body).toMatchObject({ price_per_unit: '0.3', version: '3' });
  });

  it('replaces the whole schedule: what the new body leaves out is gone', async () => {
    const id = sid();
    await put(id, body({ hardware_requirements: { gpu_count: 8, supported_kernels: ['cuda-12'] } })).expect(201);
    const { description: _omitted, ...rest } = body({ hardware_requirements: {} });
    const replaced = await put(id, rest).expect(200);
    expect(replaced.body).toMatchObject({ hardware_requirements: {}, description: null, version: '2' });
    expect((await get(id).expect(200)).body).toEqual(replaced.body);
  });

  it('round-trips decimals exactly, stored as BIGINT micros and an exact numeric', async () => {
    const id = sid('exact');
    const hardware = {
      gpu_count: 2,
      gpu_memory_gb: 80,
      ram_gb: 0.5,
      cpu_cores: 16,
      supported_kernels: ['cuda-12', 'triton'],
      zk_acceleration: ['groth16', 'plonk'],
    };
    const exact = {
      price_per_unit: '9223372036854.775807', // int64 max, in micros
      size_factor: '999999999999999999.999999',
      minimum_charge: '0.000001',
    };
    await put(id, body({ ...exact, hardware_requirements: hardware })).expect(201);
    const read = (await get(id, client).expect(200)).body;
    expect(read).toMatchObject({ ...exact, hardware_requirements: hardware });

    const [row] = await t.dataSource.query(
      `SELECT price_per_unit_micros::text AS price, size_factor::text AS factor, minimum_charge_micros::text AS minimum
         FROM service_schedules WHERE id = $1`,
      [id],
    );
    expect(row).toEqual({ price: '9223372036854775807', factor: '999999999999999999.999999', minimum: '1' });
    const types = await t.dataSource.query(
      `SELECT column_name, data_type FROM information_schema.columns
        WHERE table_name = 'service_schedules' AND column_name IN ('price_per_unit_micros', 'size_factor',
          'minimum_charge_micros') ORDER BY column_name`,
    );
    expect(types).toEqual([
      { column_name: 'minimum_charge_micros', data_type: 'bigint' },
      { column_name: 'price_per_unit_micros', data_type: 'bigint' },
      { column_name: 'size_factor', data_type: 'numeric' },
    ]);

    // Equal values in another spelling come back in the shortest form; "0" is a valid minimum.
    const again = await put(id, body({ price_per_unit: '12.500000', size_factor: '2.0', minimum_charge: '0.0' }));
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ price_per_unit: '12.5', size_factor: '2', minimum_charge: '0' });
  });

  it('documents hardware requirements a prover can meet: the OpenAPI example PUTs as it stands', async () => {
    const docs = (await t.http().get('/docs-json').expect(200)).body;
    const props = docs.components.schemas.HardwareRequirementsDto.properties;
    expect(props.zk_acceleration.example).toEqual(['groth16', 'plonk']);
    const example = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, (v as { example: unknown }).example]));
    await put(sid('documented'), body({ hardware_requirements: example })).expect(201);
  });

  it('lists every service ordered by id, to admins, clients and provers', async () => {
    const prefix = `order-${randomUUID().slice(0, 6)}`;
    const ids = ['b', 'a-2', 'a.1', 'a_3', '9', 'a'].map((s) => `${prefix}${s}`);
    for (const id of ids) await put(id, body()).expect(201);
    const byteOrder = [...ids].sort((x, y) => (Buffer.from(x) < Buffer.from(y) ? -1 : 1));
    for (const headers of [ctx.admin(), client, prover]) {
      const res = await t.http().get('/v1/registry/services').set(headers).expect(200);
      const listed = (res.body.items as { id: string }[]).map((s) => s.id);
      expect(listed.filter((id) => id.startsWith(prefix))).toEqual(byteOrder);
      expect(listed).toEqual([...listed].sort((x, y) => (Buffer.from(x) < Buffer.from(y) ? -1 : 1)));
    }
  });

  it('lets clients and provers read one service but only admins write', async () => {
    const id = sid();
    await put(id, body()).expect(201);
    for (const headers of [client, prover]) {
      expect((await get(id, headers).expect(200)).body.id).toBe(id);
      const refused = await put(id, body({ price_per_unit: '1' }), headers).expect(403);
      expect(refused.headers['content-type']).toMatch(PROBLEM);
      expect(refused.body.code).toBe('DSE-002');
      // refusing a new id creates nothing either
      await put(sid(), body(), headers).expect(403);
    }
    expect((await t.http().get('/v1/registry/services').expect(401)).body.code).toBe('DSE-002');
    expect((await t.http().get(`/v1/registry/services/${id}`).expect(401)).body.code).toBe('DSE-002');
    await t.http().put(`/v1/registry/services/${id}`).send(body()).expect(401);
    expect((await get(id).expect(200)).body).toMatchObject({ price_per_unit: '0.25', version: '1' });
  });

  it('answers an unknown service with 404 DSE-015', async () => {
    const id = sid('ghost');
    for (const headers of [ctx.admin(), client]) {
      const res = await get(id, headers).expect(404);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.body).toMatchObject({ code: 'DSE-015', status: 404, instance: `/v1/registry/services/${id}` });
    }
  });

  describe('validation', () => {
    const bad: [string, Record<string, unknown>, string][] = [
      ['price zero', body({ price_per_unit: '0' }), 'price_per_unit'],
      ['price negative', body({ price_per_unit: '-1' }), 'price_per_unit'],
      ['price with 7 decimals', body({ price_per_unit: '0.0000001' }), 'price_per_unit'],
      ['price as a JSON number', body({ price_per_unit: 0.25 }), 'price_per_unit'],
      ['price beyond int64', body({ price_per_unit: '9223372036854.775808' }), 'price_per_unit'],
      ['price in exponent form', body({ price_per_unit: '1e3' }), 'price_per_unit'],
      ['price missing', body({ price_per_unit: undefined }), 'price_per_unit'],
      ['unit upper case', body({ unit: 'GPU_SECOND' }), 'unit'],
      ['unit with a dash', body({ unit: 'gpu-second' }), 'unit'],
      ['unit empty', body({ unit: '' }), 'unit'],
      ['unit too long', body({ unit: 'u'.repeat(33) }), 'unit'],
      ['size factor zero', body({ size_factor: '0.000000' }), 'size_factor'],
      ['size factor negative', body({ size_factor: '-1.5' }), 'size_factor'],
      ['size factor with 7 decimals', body({ size_factor: '1.0000001' }), 'size_factor'],
      ['size factor as a number', body({ size_factor: 1.5 }), 'size_factor'],
      ['size factor too large', body({ size_factor: '1000000000000000000' }), 'size_factor'],
      ['minimum negative', body({ minimum_charge: '-0.5' }), 'minimum_charge'],
      ['minimum with 7 decimals', body({ minimum_charge: '0.0000001' }), 'minimum_charge'],
      ['minimum as a number', body({ minimum_charge: 0 }), 'minimum_charge'],
      ['minimum missing', body({ minimum_charge: undefined }), 'minimum_charge'],
      ['hardware missing', body({ hardware_requirements: undefined }), 'hardware_requirements'],
      ['hardware null', body({ hardware_requirements: null }), 'hardware_requirements'],
      ['hardware an array', body({ hardware_requirements: [] }), 'hardware_requirements'],
      ['hardware a string', body({ hardware_requirements: 'gpu' }), 'hardware_requirements'],
      ['hardware unknown key', body({ hardware_requirements: { tpu_count: 1 } }), 'hardware_requirements.tpu_count'],
      ['gpu_count fractional', body({ hardware_requirements: { gpu_count: 1.5 } }), 'hardware_requirements.gpu_count'],
      ['gpu_count negative', body({ hardware_requirements: { gpu_count: -1 } }), 'hardware_requirements.gpu_count'],
      ['gpu_count a string', body({ hardware_requirements: { gpu_count: '2' } }), 'hardware_requirements.gpu_count'],
      ['gpu_count null', body({ hardware_requirements: { gpu_count: null } }), 'hardware_requirements.gpu_count'],
      [
        'gpu_memory_gb a string',
        body({ hardware_requirements: { gpu_memory_gb: '24' } }),
        'hardware_requirements.gpu_memory_gb',
      ],
      ['ram_gb negative', body({ hardware_requirements: { ram_gb: -0.5 } }), 'hardware_requirements.ram_gb'],
      ['cpu_cores a bool', body({ hardware_requirements: { cpu_cores: true } }), 'hardware_requirements.cpu_cores'],
      [
        'supported_kernels a string',
        body({ hardware_requirements: { supported_kernels: 'cuda' } }),
        'hardware_requirements.supported_kernels',
      ],
      [
        'supported_kernels of numbers',
        body({ hardware_requirements: { supported_kernels: [12] } }),
        'hardware_requirements.supported_kernels',
      ],
      [
        'zk_acceleration with an empty name',
        body({ hardware_requirements: { zk_acceleration: [''] } }),
        'hardware_requirements.zk_acceleration',
      ],
      // Checked by the rules of a job's requirements: a service asks only for what a prover can have.
      [
        'zk_acceleration naming a kernel',
        body({ hardware_requirements: { zk_acceleration: ['msm'] } }),
        'hardware_requirements.zk_acceleration',
      ],
      ['gpu_count over 64', body({ hardware_requirements: { gpu_count: 65 } }), 'hardware_requirements.gpu_count'],
      ['cpu_cores fractional', body({ hardware_requirements: { cpu_cores: 1.5 } }), 'hardware_requirements.cpu_cores'],
      [
        'a kernel with a space',
        body({ hardware_requirements: { supported_kernels: ['cuda 12'] } }),
        'hardware_requirements.supported_kernels',
      ],
      [
        'an Object.prototype name',
        body({ hardware_requirements: JSON.parse('{"toString": 1}') }),
        'hardware_requirements.toString',
      ],
      ['description a number', body({ description: 5 }), 'description'],
      ['description too long', body({ description: 'd'.repeat(513) }), 'description'],
      ['an unknown field', body({ priority: 1 }), 'priority'],
      ['a read-only field', body({ version: 7 }), 'version'],
    ];

    it.each(bad)('refuses %s with 400 DSE-001 naming the field, and stores nothing', async (_name, payload, field) => {
      const id = sid('bad');
      const res = await put(id, payload).expect(400);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.body.code).toBe('DSE-001');
      const fields = [res.body.field, ...(res.body.errors ?? []).map((e: { field: string }) => e.field)];
      expect(fields).toContain(field);
      await get(id).expect(404);
    });

    it('leaves an existing schedule untouched by a bad replacement', async () => {
      const id = sid();
      await put(id, body()).expect(201);
      await put(id, body({ size_factor: '0' })).expect(400);
      await put(id, body({ hardware_requirements: { gpu_count: -1 } })).expect(400);
      expect((await get(id).expect(200)).body).toMatchObject({ size_factor: '1.5', version: '1' });
    });

    it('refuses ids outside 1-64 of a-z 0-9 . _ -, on PUT and GET', async () => {
      for (const id of ['UPPER', 'a'.repeat(65), 'a%20b', 'caf%C3%A9', 'a:b']) {
        const res = await put(id, body()).expect(400);
        expect(res.body).toMatchObject({ code: 'DSE-001', field: 'id' });
        expect((await get(id).expect(400)).body.code).toBe('DSE-001');
      }
      await put('a'.repeat(64), body()).expect(201);
      await put('x.y_z-0', body()).expect(201);
    });

    it('refuses a body that is not JSON', async () => {
      const res = await t
        .http()
        .put(`/v1/registry/services/${sid()}`)
        .set(ctx.admin())
        .set('Content-Type', 'application/json')
        .send('{"price_per_unit": ');
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('DSE-001');
    });
  });

  it('numbers concurrent PUTs of a new service 1..n: exactly one creates it', async () => {
    const id = sid('race');
    const n = 12;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => put(id, body({ price_per_unit: `${i + 1}` }))),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 200)).toHaveLength(n - 1);
    expect(results.map((r) => Number(r.body.version)).sort((a, b) => a - b)).toEqual(
      Array.from({ length: n }, (_, i) => i + 1),
    );
    expect((await get(id).expect(200)).body.version).toBe(String(n));
  });

  it('prices jobs through the ServiceRegistry provider other libs use', async () => {
    const id = sid('priced');
    await put(id, body({ price_per_unit: '0.000125', size_factor: '2.5', minimum_charge: '0.5' })).expect(201);
    const registry = t.app.get(ServiceRegistry);
    await expect(registry.estimate(id, '3600', 4)).resolves.toBe(4_500_000n); // 0.000125 × 3600 × 2.5 × 4
    await expect(registry.estimate(id, '1', 3)).resolves.toBe(1_500_000n); // the 0.5 minimum × 3
    await expect(registry.estimate(id, '0.000001', 1)).resolves.toBe(500_000n);
    await expect(registry.find(id)).resolves.toMatchObject({ pricePerUnitMicros: 125n, sizeFactor: '2.5' });
    await expect(registry.estimate(sid('ghost'), '1', 1)).rejects.toBeInstanceOf(NotFoundError);

    // A replacement prices the next estimate.
    await put(id, body({ price_per_unit: '0.00025', size_factor: '2.5', minimum_charge: '0' })).expect(200);
    await expect(registry.estimate(id, '3600', 4)).resolves.toBe(9_000_000n);
  });
});
