import { CAPABILITIES, HARDWARE, ProversCtx } from '../../support/provers-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

describe('prover registry: register, heartbeat, get, capabilities, drain, admin list', () => {
  let t: TestApp;
  let ctx: ProversCtx;
  beforeAll(async () => {
    t = await startTestApp({ SCHEDULER_ENABLED: 'false' });
    ctx = new ProversCtx(t);
  });
  afterAll(() => t.close());

  const row = async (id: string) =>
    (await t.dataSource.query(`SELECT *, score_value::text AS score FROM provers WHERE prover_id = $1`, [id]))[0];

  describe('register', () => {
    it('a prover key registers itself (201) with a provider ledger account; again is an update (200) keeping the score', async () => {
      const p = await ctx.prover();
      const created = await ctx.register(p.key, { prover_id: p.name }).expect(201);
      expect(created.headers.location).toBe(`/v1/provers/${p.name}`);
      expect(created.body).toMatchObject({
        prover_id: p.name,
        state: 'active',
        score_value: 50,
        successful_jobs: '0',
        failed_jobs: '0',
        version: '0',
        region: 'eu-west-1',
        max_concurrency: 4,
        hardware_profile: HARDWARE,
        supported_features: ['fp32', 'fp16', 'groth16', 'stark', 'msm', 'ntt'],
      });
      expect(created.body.last_heartbeat).not.toBeNull(); // its own registration proves it alive
      const account = await t.http().get(`/v1/credits/accounts/provider/${p.name}`).set(ctx.admin()).expect(200);
      expect(account.body.balance).toMatchObject({ posted: '0', pending: '0', available: '0' });

      await t.dataSource.query(
        `UPDATE provers SET score_value = 61.5, version = 3, successful_jobs = 3 WHERE prover_id = $1`,
        [p.name],
      );
      const updated = await ctx
        .register(p.key, {
          prover_id: p.name,
          region: 'us-east-1',
          max_concurrency: 8,
          capabilities: { ...CAPABILITIES, supports_int8: true },
        })
        .expect(200);
      expect(updated.headers.location).toBeUndefined();
      expect(updated.body).toMatchObject({
        region: 'us-east-1',
        max_concurrency: 8,
        version: '3',
        successful_jobs: '3',
        score_recorded: 61.5,
      });
      expect(updated.body.supported_features).toContain('int8');
      const [{ n }] = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM accounts WHERE kind = 'provider' AND owner_id = $1`,
        [p.name],
      );
      expect(n).toBe(1);
    });

    it('an admin registers any prover (not counted as alive); others get 403 DSE-002', async () => {
      const p = await ctx.prover();
      const other = await ctx.prover();
      const client = await ctx.newKey('client', 'c-' + p.name);
      expect((await ctx.register(other.key, { prover_id: p.name }).expect(403)).body.code).toBe('DSE-002');
      expect((await ctx.register(client, { prover_id: p.name }).expect(403)).body.code).toBe('DSE-002');
      await t.http().post('/v1/provers/register').send({ prover_id: p.name }).expect(401);
      expect(await row(p.name)).toBeUndefined();
      const res = await ctx.register(ctx.admin(), { prover_id: p.name }).expect(201);
      expect(res.body).toMatchObject({ state: 'offline', last_heartbeat: null });
    });

    it.each([
      ['no prover_id', { prover_id: undefined }, 'prover_id'],
      ['a bad prover_id', { prover_id: 'has space' }, 'prover_id'],
      ['the prover_id "."', { prover_id: '.' }, 'prover_id'],
      ['the prover_id ".."', { prover_id: '..' }, 'prover_id'],
      ['no hardware_profile', { hardware_profile: undefined }, 'hardware_profile'],
      [
        'a missing profile field',
        { hardware_profile: { ...HARDWARE, cpu_cores: undefined } },
        'hardware_profile.cpu_cores',
      ],
      ['an unknown profile field', { hardware_profile: { ...HARDWARE, tpu: 1 } }, 'hardware_profile.tpu'],
      [
        'a bad storage_type',
        { hardware_profile: { ...HARDWARE, storage_type: 'tape' } },
        'hardware_profile.storage_type',
      ],
      ['a string number', { hardware_profile: { ...HARDWARE, ram_gb: '256' } }, 'hardware_profile.ram_gb'],
      [
        'a bad zk flag',
        { capabilities: { ...CAPABILITIES, zk_acceleration: { groth16: 'yes', plonk: false, stark: false } } },
        'capabilities.zk_acceleration.groth16',
      ],
      [
        'an unknown zk system',
        {
          capabilities: {
            ...CAPABILITIES,
            zk_acceleration: { groth16: true, plonk: false, stark: false, halo2: true },
          },
        },
        'capabilities.zk_acceleration.halo2',
      ],
      [
        'a bad kernel list',
        { capabilities: { ...CAPABILITIES, supported_kernels: 'ntt' } },
        'capabilities.supported_kernels',
      ],
      ['an empty cpu_model', { hardware_profile: { ...HARDWARE, cpu_model: '' } }, 'hardware_profile.cpu_model'],
      [
        'a gpu_model without GPUs',
        { hardware_profile: { ...HARDWARE, gpu_count: 0, gpu_model: 'NVIDIA A100' } },
        'hardware_profile.gpu_model',
      ],
      [
        'GPUs without a gpu_model',
        { hardware_profile: { ...HARDWARE, gpu_count: 1, gpu_model: '' } },
        'hardware_profile.gpu_model',
      ],
      [
        'a kernel listed twice',
        { capabilities: { ...CAPABILITIES, supported_kernels: ['msm', 'msm'] } },
        'capabilities.supported_kernels',
      ],
      ['max_concurrency 0', { max_concurrency: 0 }, 'max_concurrency'],
      ['max_concurrency 1025', { max_concurrency: 1025 }, 'max_concurrency'],
      ['a null region', { region: null }, 'region'],
      ['an unknown top-level field', { score_value: '100' }, 'score_value'],
    ])('rejects %s with 400 DSE-001 naming the field, writing nothing', async (_name, patch, field) => {
      const p = await ctx.prover();
      const res = await ctx.register(p.key, { prover_id: p.name, ...patch }).expect(400);
      expect(res.body.code).toBe('DSE-001');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect(await row(p.name)).toBeUndefined();
    });

    it('a prover without a GPU has gpu_count 0 and an empty gpu_model; heartbeats hold to the same rules', async () => {
      const cpuOnly = { ...HARDWARE, gpu_count: 0, gpu_model: '', gpu_memory_gb: 0 };
      const p = await ctx.registeredProver({ hardware_profile: cpuOnly });
      await ctx.heartbeat(p.name, p.key, { hardware_profile: cpuOnly }).expect(200);
      for (const patch of [
        { hardware_profile: { ...cpuOnly, gpu_model: 'NVIDIA A100' } },
        { hardware_profile: { ...HARDWARE, gpu_model: '' } },
        { hardware_profile: { ...HARDWARE, cpu_model: '' } },
        { capabilities: { ...CAPABILITIES, supported_kernels: ['ntt', 'msm', 'ntt'] } },
      ]) {
        expect((await ctx.heartbeat(p.name, p.key, patch).expect(400)).body.code).toBe('DSE-001');
      }
      expect((await row(p.name)).hardware_profile).toEqual(cpuOnly);
    });

    it('a missing field gets one message, its type, not every rule it fails', async () => {
      const p = await ctx.prover();
      const res = await ctx
        .register(p.key, {
          prover_id: p.name,
          hardware_profile: { ...HARDWARE, cpu_model: undefined, gpu_count: undefined },
        })
        .expect(400);
      expect(res.body.errors).toEqual([
        { field: 'hardware_profile.cpu_model', message: 'cpu_model must be a string' },
        { field: 'hardware_profile.gpu_count', message: 'gpu_count must be an integer number' },
      ]);
      expect(res.body.detail).toBe('cpu_model must be a string; gpu_count must be an integer number');
    });

    it('"." and ".." cannot be a prover (URLs resolve them away); "..." is an ordinary id, addressable', async () => {
      for (const id of ['.', '..']) {
        const key = await t.http().post('/v1/admin/keys').set(ctx.admin()).send({ role: 'prover', subject: id });
        expect(key.status).toBe(400);
        expect(key.body.code).toBe('DSE-001');
        const res = await ctx.register(ctx.admin(), { prover_id: id }).expect(400);
        expect(res.body).toMatchObject({ code: 'DSE-001', detail: expect.stringContaining('not "." or ".."') });
      }
      // Sent percent-encoded, as a client that does not resolve dot segments would.
      for (const path of ['/v1/provers/%2E', '/v1/provers/%2E%2E/capabilities']) {
        expect((await t.http().get(path).set(ctx.admin()).expect(400)).body.code).toBe('DSE-001');
      }
      const key = await ctx.newKey('prover', '...');
      await ctx.register(key, { prover_id: '...' }).expect(201);
      await ctx.heartbeat('...', key).expect(200);
      expect((await ctx.getProver('...').expect(200)).body.prover_id).toBe('...');
    });
  });

  describe('heartbeat', () => {
    it('accepts, stores load and profile, and brings an offline prover back (a draining one stays draining)', async () => {
      const p = await ctx.registeredProver();
      await t.dataSource.query(`UPDATE provers SET state = 'offline' WHERE prover_id = $1`, [p.name]);
      const before = await row(p.name);
      const res = await ctx
        .heartbeat(p.name, p.key, { load_factor: 0.75, hardware_profile: { ...HARDWARE, gpu_count: 4 } })
        .expect(200);
      expect(res.body).toEqual({ accepted: true, cancelled_jobs: [], released_jobs: [] });
      const after = await row(p.name);
      expect(after).toMatchObject({ state: 'active', load_factor: '0.750000' });
      expect(after.hardware_profile.gpu_count).toBe(4);
      expect(after.last_heartbeat.getTime()).toBeGreaterThanOrEqual(before.last_heartbeat.getTime());
      expect(after.version).toBe(before.version); // liveness is not a scorecard change

      await t.http().post(`/v1/provers/${p.name}/drain`).set(p.key).expect(200);
      await ctx.heartbeat(p.name, p.key).expect(200);
      expect((await ctx.getProver(p.name).expect(200)).body.state).toBe('draining');
    });

    it('needs only load_factor after registration: the registered profile and capabilities are kept', async () => {
      const p = await ctx.registeredProver();
      const before = await row(p.name);
      const res = await t.http().post(`/v1/provers/${p.name}/heartbeat`).set(p.key).send({ load_factor: 0.1 });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ accepted: true, cancelled_jobs: [], released_jobs: [] });
      const after = await row(p.name);
      expect(after).toMatchObject({ load_factor: '0.100000', state: 'active' });
      expect(after.hardware_profile).toEqual(before.hardware_profile);
      expect(after.capabilities).toEqual(before.capabilities);
      // Capabilities alone replace those and keep the profile.
      const fewer = { ...CAPABILITIES, supported_kernels: ['msm'] };
      await t.http().post(`/v1/provers/${p.name}/heartbeat`).set(p.key).send({ load_factor: 0.2, capabilities: fewer });
      const replaced = await row(p.name);
      expect(replaced.capabilities).toEqual(fewer);
      expect(replaced.hardware_profile).toEqual(before.hardware_profile);
    });

    it('unknown prover: 404 DSE-004; another prover or an admin: 403', async () => {
      const ghost = await ctx.prover();
      expect((await ctx.heartbeat(ghost.name, ghost.key).expect(404)).body.code).toBe('DSE-004');
      const p = await ctx.registeredProver();
      await ctx.heartbeat(p.name, ghost.key).expect(403);
      await ctx.heartbeat(p.name, ctx.admin()).expect(403);
    });

    it.each([
      ['load_factor above 1', { load_factor: 1.01 }, 'load_factor'],
      ['load_factor below 0', { load_factor: -0.1 }, 'load_factor'],
      ['load_factor as text', { load_factor: '0.5' }, 'load_factor'],
      ['no load_factor', { load_factor: undefined }, 'load_factor'],
      ['capabilities null', { capabilities: null }, 'capabilities'],
      ['hardware_profile null', { hardware_profile: null }, 'hardware_profile'],
      ['a hardware_profile missing its fields', { hardware_profile: { cpu_cores: 8 } }, 'hardware_profile.cpu_model'],
      ['a fractional cpu_cores', { hardware_profile: { ...HARDWARE, cpu_cores: 1.5 } }, 'hardware_profile.cpu_cores'],
      [
        'negative storage_iops',
        { hardware_profile: { ...HARDWARE, storage_iops: -1 } },
        'hardware_profile.storage_iops',
      ],
      ['max_batch_size 0', { capabilities: { ...CAPABILITIES, max_batch_size: 0 } }, 'capabilities.max_batch_size'],
      [
        'no zk_acceleration',
        { capabilities: { ...CAPABILITIES, zk_acceleration: undefined } },
        'capabilities.zk_acceleration',
      ],
      ['an unknown field', { extra: true }, 'extra'],
      ['running_jobs not an array', { running_jobs: '00000000-0000-4000-8000-000000000001' }, 'running_jobs'],
      ['running_jobs null', { running_jobs: null }, 'running_jobs'],
      ['running_jobs with a fraction', { running_jobs: [1.5] }, 'running_jobs'],
      ['running_jobs with a number past 2^53', { running_jobs: [2 ** 53] }, 'running_jobs'],
      ['running_jobs with a non-id', { running_jobs: ['job-1'] }, 'running_jobs'],
      ['running_jobs with a uuid', { running_jobs: ['00000000-0000-4000-8000-000000000001'] }, 'running_jobs'],
      ['running_jobs over 1024 ids', { running_jobs: Array.from({ length: 1025 }, () => '1') }, 'running_jobs'],
    ])('rejects %s with 400 DSE-001, changing nothing', async (_name, patch, field) => {
      const p = await ctx.registeredProver();
      const before = await row(p.name);
      const res = await ctx.heartbeat(p.name, p.key, patch).expect(400);
      expect(res.body.code).toBe('DSE-001');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect(await row(p.name)).toEqual(before);
    });
  });

  describe('get and capabilities', () => {
    it('shows the scorecard, and offline once the heartbeat is older than the liveness TTL', async () => {
      const p = await ctx.registeredProver();
      await ctx.heartbeat(p.name, p.key).expect(200);
      const res = await ctx.getProver(p.name, p.key).expect(200);
      expect(res.body).toMatchObject({
        prover_id: p.name,
        state: 'active',
        score_value: 50,
        successful_jobs: '0',
        failed_jobs: '0',
        version: '0',
        region: 'eu-west-1',
        max_concurrency: 4,
        load_factor: 0.25,
      });
      expect(new Date(res.body.last_heartbeat).getTime()).toBeGreaterThan(Date.now() - 60_000);
      await t.dataSource.query(
        `UPDATE provers SET last_heartbeat = now() - interval '16 seconds' WHERE prover_id = $1`,
        [p.name],
      );
      expect((await ctx.getProver(p.name).expect(200)).body.state).toBe('offline');
    });

    it('decays an idle score toward 50 when read, from when it became idle (one half-life halves the distance)', async () => {
      const p = await ctx.registeredProver();
      // Idle an hour after its last score (SCORE_IDLE_AFTER_MS), then one day (the half-life) of decay.
      await t.dataSource.query(
        `UPDATE provers SET score_value = 90, last_scored_at = now() - interval '1 day 1 hour' WHERE prover_id = $1`,
        [p.name],
      );
      const res = await ctx.getProver(p.name).expect(200);
      expect(res.body.score_recorded).toBe(90);
      expect(Number(res.body.score_value)).toBeCloseTo(70, 3);
    });

    it('capabilities: the hardware profile and the flat feature list', async () => {
      const p = await ctx.registeredProver();
      const res = await t.http().get(`/v1/provers/${p.name}/capabilities`).set(p.key).expect(200);
      expect(res.body).toEqual({
        prover_id: p.name,
        hardware_profile: HARDWARE,
        supported_features: ['fp32', 'fp16', 'groth16', 'stark', 'msm', 'ntt'],
      });
    });

    it('404 DSE-004 for an unknown prover (admin), 403 for another prover, 400 for a malformed id', async () => {
      const p = await ctx.registeredProver();
      const other = await ctx.registeredProver();
      expect((await ctx.getProver('nobody-here').expect(404)).body.code).toBe('DSE-004');
      expect((await t.http().get('/v1/provers/nobody-here/capabilities').set(ctx.admin()).expect(404)).body.code).toBe(
        'DSE-004',
      );
      await ctx.getProver(p.name, other.key).expect(403);
      await t.http().get(`/v1/provers/${p.name}/capabilities`).set(other.key).expect(403);
      const client = await ctx.newKey('client', 'someone');
      await ctx.getProver(p.name, client).expect(403);
      expect((await ctx.getProver('bad%20id').expect(400)).body.code).toBe('DSE-001');
    });
  });

  describe('drain', () => {
    it('the prover itself or an admin drains it; others 403; unknown 404', async () => {
      const p = await ctx.registeredProver();
      const other = await ctx.registeredProver();
      await t.http().post(`/v1/provers/${p.name}/drain`).set(other.key).expect(403);
      const res = await t.http().post(`/v1/provers/${p.name}/drain`).set(p.key).expect(200);
      expect(res.body).toMatchObject({ prover_id: p.name, state: 'draining' });
      expect((await row(p.name)).state).toBe('draining');
      await t.http().post(`/v1/provers/${other.name}/drain`).set(ctx.admin()).expect(200);
      const gone = await t.http().post('/v1/provers/nobody-here/drain').set(ctx.admin()).expect(404);
      expect(gone.body.code).toBe('DSE-004');
    });

    it('resume undoes a drain (the prover itself or an admin), also for a drained prover that went offline', async () => {
      const p = await ctx.registeredProver();
      const other = await ctx.registeredProver();
      await t.http().post(`/v1/provers/${p.name}/drain`).set(p.key).expect(200);
      await t.http().post(`/v1/provers/${p.name}/resume`).set(other.key).expect(403);
      const res = await t.http().post(`/v1/provers/${p.name}/resume`).set(p.key).send({}).expect(200);
      expect(res.body).toMatchObject({ prover_id: p.name, state: 'active' });
      expect(await row(p.name)).toMatchObject({ state: 'active', drain_requested: false });
      // Resuming an active prover changes nothing.
      await t.http().post(`/v1/provers/${p.name}/resume`).set(ctx.admin()).expect(200);
      expect((await row(p.name)).state).toBe('active');
      // Drained, then offline: resumed while away, it is active (not draining) when it is back.
      await t.http().post(`/v1/provers/${p.name}/drain`).set(ctx.admin()).expect(200);
      await t.dataSource.query(`UPDATE provers SET state = 'offline' WHERE prover_id = $1`, [p.name]);
      await t.http().post(`/v1/provers/${p.name}/resume`).set(ctx.admin()).expect(200);
      expect((await row(p.name)).state).toBe('offline');
      await ctx.heartbeat(p.name, p.key).expect(200);
      expect((await row(p.name)).state).toBe('active');
      const gone = await t.http().post('/v1/provers/nobody-here/resume').set(ctx.admin()).expect(404);
      expect(gone.body.code).toBe('DSE-004');
    });

    it('a JSON array is no body for drain, poll, register or heartbeat: 400 DSE-001, nothing changes', async () => {
      const p = await ctx.registeredProver();
      for (const [path, body] of [
        [`/v1/provers/${p.name}/drain`, '[]'],
        [`/v1/provers/${p.name}/drain`, '[{}]'],
        [`/v1/provers/${p.name}/poll`, '[]'],
        [`/v1/provers/${p.name}/heartbeat`, '[]'],
        ['/v1/provers/register', '[]'],
      ]) {
        const res = await t.http().post(path).set(p.key).set('content-type', 'application/json').send(body).expect(400);
        expect(res.body).toMatchObject({ code: 'DSE-001', detail: 'request body must be a JSON object' });
      }
      expect((await row(p.name)).state).toBe('active');
      // No body, or an empty object, still drains.
      await t.http().post(`/v1/provers/${p.name}/drain`).set(p.key).send({}).expect(200);
    });
  });

  describe('admin list', () => {
    it('filters by state and region and pages with a keyset cursor, admins only', async () => {
      const region = `r-${ctx.name('x')}`;
      const names: string[] = [];
      for (let i = 0; i < 5; i++) names.push((await ctx.registeredProver({ region })).name);
      names.sort();
      await t.http().post(`/v1/provers/${names[1]}/drain`).set(ctx.admin()).expect(200);
      await t.dataSource.query(`UPDATE provers SET last_heartbeat = now() - interval '1 hour' WHERE prover_id = $1`, [
        names[3],
      ]);

      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: { body: { items: { prover_id: string }[]; next_cursor: string | null } } = await t
          .http()
          .get('/v1/admin/provers')
          .query({ region, limit: 2, ...(cursor ? { cursor } : {}) })
          .set(ctx.admin())
          .expect(200);
        expect(res.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...res.body.items.map((p) => p.prover_id));
        cursor = res.body.next_cursor;
      } while (cursor);
      expect(seen).toEqual(names);

      const list = async (query: Record<string, string>) =>
        (
          await t
            .http()
            .get('/v1/admin/provers')
            .query({ region, ...query })
            .set(ctx.admin())
            .expect(200)
        ).body.items.map((p: { prover_id: string }) => p.prover_id);
      expect(await list({ state: 'draining' })).toEqual([names[1]]);
      expect(await list({ state: 'offline' })).toEqual([names[3]]);
      expect(await list({ state: 'active' })).toEqual([names[0], names[2], names[4]]);
      expect(await list({ region: 'nowhere' })).toEqual([]);

      const p = await ctx.registeredProver();
      await t.http().get('/v1/admin/provers').set(p.key).expect(403);
      for (const bad of [{ limit: '501' }, { limit: '0' }, { state: 'sleeping' }, { cursor: '***' }, { sort: 'x' }]) {
        const res = await t.http().get('/v1/admin/provers').query(bad).set(ctx.admin()).expect(400);
        expect(res.body.code).toBe('DSE-001');
      }
    });
  });
});
