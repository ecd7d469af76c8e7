import { randomUUID } from 'node:crypto';
import { JOB_COMPLETED } from '@tally/jobs';
import { JobsCtx, oneCreditSchedule } from '../../support/jobs-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

/**
 * Per-service fees and base + bonus replica rewards. The two worked examples of
 * docs/economics.md are the first two tests here, number for number.
 */
describe('service economics: fees per service, base + bonus rewards', () => {
  let t: TestApp;
  let ctx: JobsCtx;
  beforeAll(async () => {
    // Jobs move only by the routes here (an admin assigns): no scheduler. The platform default fee is 10 %.
    t = await startTestApp({ SCHEDULER_ENABLED: 'false', PLATFORM_FEE_BPS: '1000' });
    ctx = new JobsCtx(t);
  });
  afterAll(() => t.close());

  const sid = () => `econ-${randomUUID().slice(0, 8)}`;
  const rewardTransfers = async (jobId: string): Promise<{ prover_id: string; amount: string }[]> =>
    t.dataSource.query(
      `SELECT prover_id, amount::text FROM transfers WHERE job_id = $1 AND kind = 'reward' ORDER BY prover_id`,
      [jobId],
    );
  const completedEvent = async (jobId: string) => {
    const [row] = await t.dataSource.query(
      `SELECT payload FROM outbox WHERE event_type = '${JOB_COMPLETED}' AND partition_key = $1`,
      [jobId],
    );
    return row.payload;
  };

  it('fees per service: a 2.5 % fee on one replica, rounded down to the micro (docs/economics.md)', async () => {
    const service = sid();
    await ctx.putService(service, oneCreditSchedule({ fee_bps: 250 })).expect(201);
    const client = await ctx.fundedClient('10');
    const prover = await ctx.workingProver();
    const id = await ctx.running(client.key, [prover], { service, units: '3', max_cost_micros: 3_000_000 });
    const platformBefore = await ctx.postedMicros('platform', 'main');

    const result = await ctx.report(id, prover.key, { success: true, final_cost_micros: 2_000_001 }).expect(201);
    // pool = 2 000 001 × 9 750 / 10 000 = 1 950 000.975 → 1 950 000; the platform keeps 50 001.
    expect(result.body).toEqual({
      network_job_id: id,
      outcome: 'COMPLETED',
      final_cost_micros: '2000001',
      reward_micros: '1950000',
      refunded_micros: '999999',
    });
    expect(await ctx.postedMicros('provider', prover.name)).toBe(1_950_000n);
    expect((await ctx.postedMicros('platform', 'main')) - platformBefore).toBe(50_001n);
    expect(await ctx.postedMicros('user', client.name)).toBe(10_000_000n - 2_000_001n);
    expect((await ctx.job(id).expect(200)).body).toMatchObject({ platform_fee_micros: '50001' });
    expect(await ctx.totals()).toEqual({ posted: '0', pending: '0' });
  });

  it('base + bonus: 3 replicas, one dissenter, a 5 % fee and a 30 % base share (docs/economics.md)', async () => {
    const service = sid();
    await ctx.putService(service, oneCreditSchedule({ fee_bps: 500, base_share_bps: 3000 })).expect(201);
    const client = await ctx.fundedClient('10');
    const [a, b, c] = [await ctx.workingProver(), await ctx.workingProver(), await ctx.workingProver()];
    const id = await ctx.running(client.key, [a, b, c], {
      service,
      units: '2',
      replicas: 3,
      max_cost_micros: 6_000_000,
    });
    const platformBefore = await ctx.postedMicros('platform', 'main');

    await ctx.report(id, c.key, { success: true, final_cost_micros: 999_999, result_hash: 'other' }).expect(201);
    await ctx.report(id, a.key, { success: true, final_cost_micros: 1_234_567, result_hash: 'h' }).expect(201);
    const decided = await ctx
      .report(id, b.key, { success: true, final_cost_micros: 1_300_000, result_hash: 'h' })
      .expect(201);
    // cost 1 234 567 (the lower median of the majority a, b)
    // pool  = 1 234 567 × 9 500 / 10 000 = 1 172 838.65 → 1 172 838 (fee 61 729)
    // base  = 1 172 838 × 3 000 / 10 000 = 351 851.4 → 351 851; ÷ 3 reporters = 117 283 (2 left)
    // bonus = 1 172 838 − 351 851 = 820 987; ÷ 2 majority = 410 493 (1 left)
    // a, b: 117 283 + 410 493 = 527 776 each; c: 117 283; platform 61 729 + 2 + 1 = 61 732
    expect(decided.body).toMatchObject({ outcome: 'COMPLETED', final_cost_micros: '1234567', reward_micros: '527776' });
    expect(await ctx.postedMicros('provider', a.name)).toBe(527_776n);
    expect(await ctx.postedMicros('provider', b.name)).toBe(527_776n);
    expect(await ctx.postedMicros('provider', c.name)).toBe(117_283n);
    expect((await ctx.postedMicros('platform', 'main')) - platformBefore).toBe(61_732n);
    expect(await ctx.postedMicros('user', client.name)).toBe(10_000_000n - 1_234_567n);
    expect(await ctx.totals()).toEqual({ posted: '0', pending: '0' });

    // Each reward its own posting; the job and its timeline say who got what.
    expect(await rewardTransfers(id)).toEqual(
      [
        { prover_id: a.name, amount: '527776' },
        { prover_id: b.name, amount: '527776' },
        { prover_id: c.name, amount: '117283' },
      ].sort((x, y) => (x.prover_id < y.prover_id ? -1 : 1)),
    );
    const job = (await ctx.job(id).expect(200)).body;
    expect(job).toMatchObject({ platform_fee_micros: '61732', refunded_micros: '4765433' });
    const rewardOf = (p: string) => job.assignments.find((x: { prover_id: string }) => x.prover_id === p).reward_micros;
    expect([rewardOf(a.name), rewardOf(b.name), rewardOf(c.name)]).toEqual(['527776', '527776', '117283']);
    const timeline = (await t.http().get(`/v1/jobs/${id}/timeline`).set(ctx.admin()).expect(200)).body;
    expect(timeline.money).toMatchObject({ captured_micros: '1234567', fee_micros: '61732' });

    // JobCompleted: reward_micros is a majority replica's; rewards lists every one.
    const event = await completedEvent(id);
    expect(event).toMatchObject({
      provers: [a.name, b.name].sort(),
      dissenters: [c.name],
      final_cost_micros: '1234567',
      reward_micros: '527776',
    });
    expect(event.rewards).toEqual([
      ...[a.name, b.name].sort().map((p) => ({ prover_id: p, reward_micros: '527776' })),
      { prover_id: c.name, reward_micros: '117283' },
    ]);
  });

  it('a failed report is a reported result: its replica gets the base when the others agree', async () => {
    const service = sid();
    await ctx.putService(service, oneCreditSchedule({ fee_bps: 0, base_share_bps: 10_000 })).expect(201);
    const client = await ctx.fundedClient('10');
    const [a, b, c] = [await ctx.workingProver(), await ctx.workingProver(), await ctx.workingProver()];
    const id = await ctx.running(client.key, [a, b, c], {
      service,
      units: '1',
      replicas: 3,
      max_cost_micros: 3_000_000,
    });
    await ctx.report(id, c.key, { success: false, error_message: 'out of memory' }).expect(201);
    await ctx.report(id, a.key, { success: true, final_cost_micros: 1_000_000, result_hash: 'h' }).expect(201);
    await ctx.report(id, b.key, { success: true, final_cost_micros: 1_000_000, result_hash: 'h' }).expect(201);
    // No fee, the whole pool as base: 1 000 000 ÷ 3 = 333 333 each, 1 to the platform.
    for (const p of [a, b, c]) expect(await ctx.postedMicros('provider', p.name)).toBe(333_333n);
    expect((await ctx.job(id).expect(200)).body.platform_fee_micros).toBe('1');
  });

  it('settles by the schedule version the job was priced with, not the one in force at the end', async () => {
    const service = sid();
    await ctx.putService(service, oneCreditSchedule({ fee_bps: 2000, base_share_bps: 5000 })).expect(201);
    const client = await ctx.fundedClient('10');
    const [a, b, c] = [await ctx.workingProver(), await ctx.workingProver(), await ctx.workingProver()];
    const id = await ctx.running(client.key, [a, b, c], {
      service,
      units: '1',
      replicas: 3,
      max_cost_micros: 3_000_000,
    });
    // Replaced while the job runs: the job keeps version 1's terms.
    await ctx.putService(service, oneCreditSchedule({ fee_bps: 0 })).expect(200);
    await ctx.report(id, a.key, { success: true, final_cost_micros: 1_000_000, result_hash: 'h' }).expect(201);
    await ctx.report(id, b.key, { success: true, final_cost_micros: 1_000_000, result_hash: 'h' }).expect(201);
    // pool 800 000; base 400 000 ÷ 2 reporters = 200 000; bonus 400 000 ÷ 2 = 200 000.
    expect(await ctx.postedMicros('provider', a.name)).toBe(400_000n);
    expect(await ctx.postedMicros('provider', b.name)).toBe(400_000n);
    expect(await ctx.postedMicros('provider', c.name)).toBe(0n); // called off before it reported: nothing
    expect((await ctx.job(id).expect(200)).body).toMatchObject({ service_version: '1', platform_fee_micros: '200000' });
  });

  it('shows the terms on GET: the default is the platform fee (null) and no base share', async () => {
    const service = sid();
    expect((await ctx.putService(service, oneCreditSchedule()).expect(201)).body).toMatchObject({
      fee_bps: null,
      base_share_bps: 0,
    });
    await ctx.putService(service, oneCreditSchedule({ fee_bps: 0, base_share_bps: 10_000 })).expect(200);
    expect((await ctx.getService(service).expect(200)).body).toMatchObject({
      version: '2',
      fee_bps: 0,
      base_share_bps: 10_000,
    });
    const v1 = await t.http().get(`/v1/registry/services/${service}?version=1`).set(ctx.admin()).expect(200);
    expect(v1.body).toMatchObject({ version: '1', fee_bps: null, base_share_bps: 0 });
    await ctx.putService(service, oneCreditSchedule({ fee_bps: null })).expect(200);
    expect((await ctx.getService(service).expect(200)).body).toMatchObject({
      version: '3',
      fee_bps: null,
      base_share_bps: 0,
    });
  });

  it.each([
    ['fee_bps', -1],
    ['fee_bps', 10_001],
    ['fee_bps', 2.5],
    ['fee_bps', '250'],
    ['fee_bps', true],
    ['base_share_bps', -1],
    ['base_share_bps', 10_001],
    ['base_share_bps', 0.5],
    ['base_share_bps', '3000'],
    ['base_share_bps', null],
  ])('refuses %s = %p with 400 DSE-001 naming the field, and changes nothing', async (field, value) => {
    const service = sid();
    await ctx.putService(service, oneCreditSchedule({ fee_bps: 100, base_share_bps: 200 })).expect(201);
    const before = (await ctx.getService(service).expect(200)).body;
    const res = await ctx.putService(service, oneCreditSchedule({ [field]: value })).expect(400);
    expect(res.body.code).toBe('DSE-001');
    const fields = [res.body.field, ...(res.body.errors ?? []).map((e: { field: string }) => e.field)];
    expect(fields).toContain(field);
    expect((await ctx.getService(service).expect(200)).body).toEqual(before);
    // A new service refused the same way is not created.
    const fresh = sid();
    await ctx.putService(fresh, oneCreditSchedule({ [field]: value })).expect(400);
    await ctx.getService(fresh).expect(404);
  });
});
