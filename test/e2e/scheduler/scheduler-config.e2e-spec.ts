import { SchedulerCtx } from '../../support/scheduler-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

const NO_WORKLOAD = { w_cpu: '0', w_ram: '0', w_gpu: '0', w_latency: '0', w_io: '0' };

describe('GET|PUT /v1/scheduler/config', () => {
  let t: TestApp;
  let ctx: SchedulerCtx;
  beforeAll(async () => {
    t = await startTestApp({ SCHEDULER_TICK_MS: '300' });
    ctx = new SchedulerCtx(t);
  });
  afterAll(() => t.close());

  const get = () => t.http().get('/v1/scheduler/config').set(ctx.admin());
  const put = (body: Record<string, unknown>) => t.http().put('/v1/scheduler/config').set(ctx.admin()).send(body);

  it('starts at the defaults (version 1), the tick interval from the environment', async () => {
    const res = await get().expect(200);
    expect(res.body).toMatchObject({
      w_score: '1',
      w_load: '1',
      ...NO_WORKLOAD,
      tick_interval_ms: null,
      effective_tick_interval_ms: 300,
      version: '1', // int64: a decimal string
    });
    expect(Date.parse(res.body.updated_at)).not.toBeNaN();
  });

  it('PUT replaces it, bumps the version, returns the new config; the tick interval follows', async () => {
    const before = Number((await get().expect(200)).body.version);
    const res = await put({ w_score: '2.50', w_load: '0', tick_interval_ms: 120 }).expect(200);
    expect(res.body).toMatchObject({
      w_score: '2.5',
      w_load: '0',
      tick_interval_ms: 120,
      effective_tick_interval_ms: 120,
      version: String(before + 1),
    });
    expect((await get().expect(200)).body).toEqual(res.body);
    const [row] = await t.dataSource.query(`SELECT config, version FROM scheduler_config WHERE id = 1`);
    expect(row).toEqual({
      config: { w_score: '2.5', w_load: '0', ...NO_WORKLOAD, tick_interval_ms: 120 },
      version: before + 1,
    });

    // Without tick_interval_ms the environment's interval applies again.
    const back = await put({ w_score: '1', w_load: '1' }).expect(200);
    expect(back.body).toMatchObject({
      tick_interval_ms: null,
      effective_tick_interval_ms: 300,
      version: String(before + 2),
    });
  });

  it('with version, replaces only that version (else 409 DSE-005, nothing written)', async () => {
    const { version } = (await get().expect(200)).body;
    // An int64 is read from a JSON integer or a decimal string alike.
    const stale = await put({ w_score: '3', w_load: '1', version: Number(version) - 1 }).expect(409);
    expect(stale.body).toMatchObject({ code: 'DSE-005' });
    expect((await get().expect(200)).body).toMatchObject({ w_score: '1', version });
    const ok = await put({ w_score: '3', w_load: '1', version }).expect(200);
    expect(ok.body).toMatchObject({ w_score: '3', version: String(Number(version) + 1) });
  });

  it('workload weights: a PUT sets them, one leaving them out sets them back to 0', async () => {
    const res = await put({ w_score: '0', w_load: '0', w_ram: '1.50', w_latency: '0.25' }).expect(200);
    expect(res.body).toMatchObject({ w_score: '0', w_load: '0', ...NO_WORKLOAD, w_ram: '1.5', w_latency: '0.25' });
    expect((await get().expect(200)).body).toEqual(res.body);
    expect((await put({ w_score: '1', w_load: '1' }).expect(200)).body).toMatchObject({ ...NO_WORKLOAD });
  });

  it('a PUT of the config in force changes nothing: a replay keeps the version, even naming the old one', async () => {
    const body = { w_score: '4', w_load: '0.5' };
    const first = (await put(body).expect(200)).body;
    const v = Number(first.version);
    expect((await put(body).expect(200)).body).toMatchObject({ ...body, version: first.version });
    expect((await put({ ...body, version: v - 1 }).expect(200)).body.version).toBe(first.version);
    expect((await put({ ...body, version: first.version }).expect(200)).body.version).toBe(first.version);
    // A version the config never had is no replay.
    expect((await put({ ...body, version: v + 1 }).expect(409)).body.code).toBe('DSE-005');
    // A different config naming a stale version is still a conflict.
    expect((await put({ w_score: '5', w_load: '0.5', version: v - 1 }).expect(409)).body.code).toBe('DSE-005');
    expect((await get().expect(200)).body).toMatchObject({ ...body, version: first.version });
  });

  it.each([
    [{ w_score: '0', w_load: '0.0' }, 'w_score'],
    [{ w_score: '0', w_load: '0', ...NO_WORKLOAD }, 'w_score'],
    [{ w_score: '1', w_load: '1', w_gpu: '-1' }, 'w_gpu'],
    [{ w_score: '1', w_load: '1', w_cpu: 2 }, 'w_cpu'],
    [{ w_score: '1', w_load: '1', w_latency: null }, 'w_latency'],
    [{ w_score: '1', w_load: '1', w_io: '1000000' }, 'w_io'],
    [{ w_score: '-1', w_load: '1' }, 'w_score'],
    [{ w_score: 1, w_load: '1' }, 'w_score'],
    [{ w_score: '1' }, 'w_load'],
    [{ w_score: '1', w_load: '0.1234567' }, 'w_load'],
    [{ w_score: '1', w_load: 'NaN' }, 'w_load'],
    [{ w_score: '1', w_load: '1', tick_interval_ms: 5 }, 'tick_interval_ms'],
    [{ w_score: '1', w_load: '1', tick_interval_ms: '100' }, 'tick_interval_ms'],
    [{ w_score: '1', w_load: '1', extra: true }, 'extra'],
  ])('rejects %j with 400 DSE-001 and changes nothing', async (body, field) => {
    const before = (await get().expect(200)).body;
    const res = await put(body).expect(400);
    expect(res.body.code).toBe('DSE-001');
    expect(JSON.stringify(res.body)).toContain(field);
    expect((await get().expect(200)).body).toEqual(before);
  });

  it('is for admins only', async () => {
    const client = await ctx.newKey('client', ctx.name('client'));
    const prover = await ctx.newKey('prover', ctx.name('prover'));
    for (const key of [client, prover]) {
      await t.http().get('/v1/scheduler/config').set(key).expect(403);
      await t.http().put('/v1/scheduler/config').set(key).send({ w_score: '1', w_load: '1' }).expect(403);
      await t.http().get('/v1/placement/abc').set(key).expect(403);
    }
    await t.http().get('/v1/scheduler/config').expect(401);
  });
});
