import { pick, presentWeight } from '@tally/scheduler';
import { SchedulerCtx, TestProver } from '../../support/scheduler-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

const ZERO_WORKLOAD = { w_cpu: '0', w_ram: '0', w_gpu: '0', w_latency: '0', w_io: '0' };
const JOBS = 16;

/**
 * The workload weights through the config route: two provers equal in all but their GPU
 * memory, ticks run by the test (SCHEDULER_ENABLED=false) so each sees exactly what was set up.
 */
describe('scheduler: workload weights', () => {
  let t: TestApp;
  let ctx: SchedulerCtx;
  let small: TestProver;
  let big: TestProver;
  beforeAll(async () => {
    t = await startTestApp({ SCHEDULER_ENABLED: 'false' });
    ctx = new SchedulerCtx(t);
    small = await ctx.liveProver({ hardware_profile: { gpu_count: 1, gpu_memory_gb: 8 }, max_concurrency: 64 });
    big = await ctx.liveProver({ hardware_profile: { gpu_count: 1, gpu_memory_gb: 80 }, max_concurrency: 64 });
    for (const p of [small, big]) {
      await t.dataSource.query(`UPDATE provers SET score_value = 50 WHERE prover_id = $1`, [p.name]);
    }
  });
  afterEach(() => ctx.cancelUnsettled());
  afterAll(() => t.close());

  const putConfig = (body: Record<string, unknown>) =>
    t.http().put('/v1/scheduler/config').set(ctx.admin()).send(body).expect(200);

  /** Submits JOBS jobs, runs a tick, and returns each job's prover. */
  async function assignAll(): Promise<Map<string, string>> {
    const client = await ctx.fundedClient('100');
    const ids: string[] = [];
    for (let i = 0; i < JOBS; i++) ids.push(await ctx.submitted(client.key));
    expect(await ctx.tick()).toMatchObject({ assigned: JOBS });
    const chosen = new Map<string, string>();
    for (const id of ids) {
      const row = await ctx.jobRow(id);
      expect(row.status).toBe('ASSIGNED');
      chosen.set(id, row.provers[0]);
    }
    return chosen;
  }

  it('the stored config carries the workload weights at 0 (the migration and every PUT)', async () => {
    const [row] = await t.dataSource.query(`SELECT config FROM scheduler_config WHERE id = 1`);
    expect(row.config).toMatchObject(ZERO_WORKLOAD);
    expect((await t.http().get('/v1/scheduler/config').set(ctx.admin()).expect(200)).body).toMatchObject(ZERO_WORKLOAD);
  });

  it('with the workload weights 0, GPU memory counts for nothing: the choice is the hash alone, as before', async () => {
    const config = (await putConfig({ w_score: '1', w_load: '1', ...ZERO_WORKLOAD })).body;
    expect(config).toMatchObject({ w_score: '1', w_load: '1', ...ZERO_WORKLOAD });
    const chosen = await assignAll();
    for (const [id, prover] of chosen) {
      // Equal score and load: equal weights, whatever their value, so the hash alone decides.
      const previous = pick(id, [
        { proverId: small.name, weight: 1 },
        { proverId: big.name, weight: 1 },
      ]);
      expect(prover).toBe(previous!.proverId);
      const items = (await ctx.placement(id, 2).expect(200)).body.items;
      expect(items[0].weight).toBe(items[1].weight);
    }
  });

  it('with w_gpu > 0 a job goes to the prover with more free GPU memory, by the weights the route shows', async () => {
    const config = (await putConfig({ w_score: '0', w_load: '0', w_gpu: '1' })).body;
    expect(config).toMatchObject({ w_score: '0', w_load: '0', w_gpu: '1', w_cpu: '0', w_io: '0' });
    // Free GPU memory normalised over the live provers: 8/80 and 80/80.
    const gpuWeighted = (key: string) =>
      pick(key, [
        { proverId: small.name, weight: 0.1 },
        { proverId: big.name, weight: 1 },
      ])!.proverId;
    const chosen = await assignAll();
    let toBig = 0;
    for (const [id, prover] of chosen) {
      expect(prover).toBe(gpuWeighted(id));
      if (prover === big.name) toBig++;
      const items = (await ctx.placement(id, 2).expect(200)).body.items;
      const shown = Object.fromEntries(
        items.map((i: { prover_id: string; weight: string }) => [i.prover_id, i.weight]),
      );
      expect(shown).toEqual({ [small.name]: presentWeight(0.1), [big.name]: presentWeight(1) });
    }
    // Each job goes to the bigger GPU with probability 10/11: most of them do.
    expect(toBig).toBeGreaterThan(JOBS / 2);

    // A key the small prover wins with equal weights goes to the big one with w_gpu, and back without.
    const equalWeights = (key: string) =>
      pick(key, [
        { proverId: small.name, weight: 1 },
        { proverId: big.name, weight: 1 },
      ])!.proverId;
    const keys = Array.from({ length: 200 }, (_, i) => `gpu-key-${i}`);
    const moved = keys.find((key) => equalWeights(key) === small.name && gpuWeighted(key) === big.name);
    expect(moved).toBeDefined();
    expect((await ctx.placement(moved!, 1).expect(200)).body.items[0].prover_id).toBe(big.name);
    await putConfig({ w_score: '1', w_load: '1' });
    expect((await ctx.placement(moved!, 1).expect(200)).body.items[0].prover_id).toBe(small.name);
  });

  it('with w_latency > 0 a job goes to the prover reporting the lower latency, kept when a heartbeat omits it', async () => {
    const beat = (p: TestProver, extra: Record<string, unknown>) =>
      t
        .http()
        .post(`/v1/provers/${p.name}/heartbeat`)
        .set(p.key)
        .send({ load_factor: 0, ...extra });
    for (const latency_ms of [-1, 600_001, 1.5, '40']) {
      const res = await beat(small, { latency_ms }).expect(400);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
    }
    await beat(small, { latency_ms: 200 }).expect(200);
    await beat(big, { latency_ms: 50 }).expect(200);
    // A later heartbeat without latency_ms keeps the reported one (as it keeps the profile).
    await ctx.heartbeat(small);
    await ctx.heartbeat(big);
    const rows: { prover_id: string; latency_ms: number }[] = await t.dataSource.query(
      `SELECT prover_id, latency_ms FROM provers WHERE prover_id = ANY($1::varchar[])`,
      [[small.name, big.name]],
    );
    expect(Object.fromEntries(rows.map((r) => [r.prover_id, r.latency_ms]))).toEqual({
      [small.name]: 200,
      [big.name]: 50,
    });

    // Otherwise equal (w_gpu 0): only latency weighs, min/value over the live provers: 50/200 and 50/50.
    await putConfig({ w_score: '0', w_load: '0', ...ZERO_WORKLOAD, w_latency: '1' });
    const latencyWeighted = (key: string) =>
      pick(key, [
        { proverId: small.name, weight: 0.25 },
        { proverId: big.name, weight: 1 },
      ])!.proverId;
    const chosen = await assignAll();
    let toFast = 0;
    for (const [id, prover] of chosen) {
      expect(prover).toBe(latencyWeighted(id));
      if (prover === big.name) toFast++;
      const items = (await ctx.placement(id, 2).expect(200)).body.items;
      const shown = Object.fromEntries(
        items.map((i: { prover_id: string; weight: string }) => [i.prover_id, i.weight]),
      );
      expect(shown).toEqual({ [small.name]: presentWeight(0.25), [big.name]: presentWeight(1) });
    }
    // Each job goes to the quicker prover with probability 4/5: most of them do.
    expect(toFast).toBeGreaterThan(JOBS / 2);
    await putConfig({ w_score: '1', w_load: '1', ...ZERO_WORKLOAD });
  });
});
