import { randomUUID } from 'node:crypto';
import { JOB_USAGE_REPORTED } from '@tally/jobs';
import { LedgerVerifier } from '@tally/ledger';
import { GrpcCtx } from '../../support/grpc-ctx';
import { JobsCtx } from '../../support/jobs-ctx';
import { microsOf } from '../../support/ledger-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

/**
 * Metered payments for long jobs: the running prover reports its cumulative usage, and each
 * report's new units are captured from the hold and paid as they go. The first test is the
 * worked example of docs/economics.md ("Metered jobs"), number for number.
 */
describe('metered usage: a debit note that settles as it goes', () => {
  let t: TestApp;
  let ctx: JobsCtx;
  beforeAll(async () => {
    t = await startTestApp({ SCHEDULER_ENABLED: 'false', PLATFORM_FEE_BPS: '1000' });
    ctx = new JobsCtx(t);
  });
  afterAll(() => t.close());

  /** 333 333 micros a unit, a 2.5 % fee: 30 units hold 9 999 990. */
  const schedule = {
    price_per_unit: '0.333333',
    unit: 'gpu_second',
    size_factor: '1',
    minimum_charge: '0',
    hardware_requirements: {},
    fee_bps: 250,
  };
  const newService = async (refund?: 'earned' | 'all') => {
    const id = `meter-${randomUUID().slice(0, 8)}`;
    const body = refund ? { ...schedule, metered_refund: refund } : schedule;
    const created = await ctx.putService(id, body).expect(201);
    expect(created.body.metered_refund).toBe(refund ?? 'earned');
    return id;
  };
  const usage = (id: string, key: Record<string, string>, body: unknown) =>
    t
      .http()
      .post(`/v1/jobs/${id}/usage`)
      .set(key)
      .send(body as object);
  const pending = async (type: string, id: string) => microsOf((await ctx.balance(type, id)).pending);
  /** What is held for an account by others (a prover's shares held for it under `metered_refund: all`). */
  const incoming = async (type: string, id: string) =>
    microsOf(((await ctx.balance(type, id)) as unknown as { incoming: string }).incoming);
  const verified = async () => expect((await t.app.get(LedgerVerifier).verify()).problems).toEqual([]);
  /** A metered job of 30 units, RUNNING on one prover, for a client with 20 credits. */
  const meteredJob = async (refund?: 'earned' | 'all') => {
    const service = await newService(refund);
    const client = await ctx.fundedClient('20');
    const prover = await ctx.workingProver();
    const id = await ctx.running(client.key, [prover], { service, units: '30', max_cost_micros: 10_000_000 });
    return { id, client, prover };
  };
  /** Everything a refused report must leave as it was. */
  const snapshot = async (id: string, client: string, prover: string) => ({
    job: (await ctx.job(id).expect(200)).body,
    client: await ctx.balance('user', client),
    prover: await ctx.balance('provider', prover),
    platform: await ctx.balance('platform', 'main'),
    transfers: (await t.dataSource.query(`SELECT count(*)::int AS n FROM transfers WHERE job_id = $1`, [id]))[0].n,
    events: (
      await t.dataSource.query(`SELECT count(*)::int AS n FROM outbox WHERE event_type = $1 AND partition_key = $2`, [
        JOB_USAGE_REPORTED,
        id,
      ])
    )[0].n,
  });

  it('meters two reports, then the final result, to the micro (docs/economics.md, Metered jobs)', async () => {
    const { id, client, prover } = await meteredJob();
    expect((await ctx.job(id).expect(200)).body.held_micros).toBe('9999990');
    const platformBefore = await ctx.postedMicros('platform', 'main');

    // 10.5 units cost ⌈3 499 996.5⌉ = 3 499 997; the pool ⌊3 499 997 × 0.975⌋ = 3 412 497; the platform 87 500.
    const first = await usage(id, prover.key, { units: '10.5', cumulative: true }).expect(200);
    expect(first.body).toEqual({
      network_job_id: id,
      units: '10.5',
      metered_micros: '3499997',
      reward_micros: '3412497',
      held_micros: '6499993',
    });
    expect(await ctx.postedMicros('provider', prover.name)).toBe(3_412_497n);
    expect((await ctx.postedMicros('platform', 'main')) - platformBefore).toBe(87_500n);
    expect(await ctx.postedMicros('user', client.name)).toBe(20_000_000n - 3_499_997n);
    expect(await pending('user', client.name)).toBe(6_499_993n);

    // 24 units cost 7 999 992 in all: the new 4 499 995, of which the prover gets ⌊4 387 495.125⌋ = 4 387 495.
    const second = await usage(id, prover.key, { units: '24', cumulative: true }).expect(200);
    expect(second.body).toEqual({
      network_job_id: id,
      units: '24',
      metered_micros: '7999992',
      reward_micros: '7799992',
      held_micros: '1999998',
    });
    expect(await ctx.postedMicros('provider', prover.name)).toBe(7_799_992n);
    expect((await ctx.postedMicros('platform', 'main')) - platformBefore).toBe(200_000n);

    // The final cost is the total, 9 000 000: the settlement captures the remaining 1 000 008
    // (the prover ⌊975 007.8⌋ = 975 007, the platform 25 001) and releases 999 990.
    const result = await ctx.report(id, prover.key, { success: true, final_cost_micros: 9_000_000 }).expect(201);
    expect(result.body).toEqual({
      network_job_id: id,
      outcome: 'COMPLETED',
      final_cost_micros: '9000000',
      reward_micros: '8774999',
      refunded_micros: '999990',
    });
    expect(await ctx.postedMicros('provider', prover.name)).toBe(8_774_999n);
    expect((await ctx.postedMicros('platform', 'main')) - platformBefore).toBe(225_001n);
    expect(await ctx.postedMicros('user', client.name)).toBe(20_000_000n - 9_000_000n);
    expect(await pending('user', client.name)).toBe(0n);
    const job = (await ctx.job(id).expect(200)).body;
    expect(job).toMatchObject({
      // The audit recorder may have moved it on already.
      status: expect.stringMatching(/^(COMPLETED|AUDITED)$/),
      final_cost_micros: '9000000',
      refunded_micros: '999990',
      platform_fee_micros: '225001',
    });
    expect(job.assignments[0].reward_micros).toBe('8774999');

    // Each report its own capture, new hold and reward; the settlement one capture and one reward.
    const moves = await t.dataSource.query(
      `SELECT kind, amount::text FROM transfers WHERE job_id = $1 AND kind IN ('capture', 'reward') ORDER BY created_at, kind`,
      [id],
    );
    expect(moves.map((m: { kind: string; amount: string }) => `${m.kind} ${m.amount}`).sort()).toEqual(
      [
        'capture 3499997',
        'reward 3412497',
        'capture 4499995',
        'reward 4387495',
        'capture 1000008',
        'reward 975007',
      ].sort(),
    );
    const events = await t.dataSource.query(
      `SELECT payload FROM outbox WHERE event_type = $1 AND partition_key = $2 ORDER BY id`,
      [JOB_USAGE_REPORTED, id],
    );
    expect(events.map((e: { payload: unknown }) => e.payload)).toEqual([
      {
        network_job_id: id,
        prover_id: prover.name,
        units: '10.5',
        cost_micros: '3499997',
        reward_micros: '3412497',
        metered_micros: '3499997',
      },
      {
        network_job_id: id,
        prover_id: prover.name,
        units: '24',
        cost_micros: '4499995',
        reward_micros: '4387495',
        metered_micros: '7999992',
      },
    ]);
    expect(await ctx.totals()).toEqual({ posted: '0', pending: '0' });
    await verified();
  });

  it('answers the same count again the same, moving nothing; a lower count is DSE-001', async () => {
    const { id, client, prover } = await meteredJob();
    const first = await usage(id, prover.key, { units: '12', cumulative: true }).expect(200);
    const before = await snapshot(id, client.name, prover.name);
    const again = await usage(id, prover.key, { units: '12.000', cumulative: true }).expect(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    const lower = await usage(id, prover.key, { units: '11.999999', cumulative: true }).expect(400);
    expect(lower.body).toMatchObject({ code: 'DSE-001', field: 'units' });
    expect(await snapshot(id, client.name, prover.name)).toEqual(before);
    // Still the same answer once the job has completed.
    await ctx.report(id, prover.key, { success: true, final_cost_micros: 4_000_000 }).expect(201);
    expect((await usage(id, prover.key, { units: '12', cumulative: true }).expect(200)).body).toEqual(first.body);
    await verified();
  });

  it('refuses usage beyond the hold with DSE-013, and nothing moves', async () => {
    const { id, client, prover } = await meteredJob();
    await usage(id, prover.key, { units: '5', cumulative: true }).expect(200);
    const before = await snapshot(id, client.name, prover.name);
    // 30.000001 units cost ⌈9 999 990.333333⌉ = 9 999 991: one micro over the hold.
    const over = await usage(id, prover.key, { units: '30.000001', cumulative: true }).expect(422);
    expect(over.body.code).toBe('DSE-013');
    expect(await snapshot(id, client.name, prover.name)).toEqual(before);
    // Exactly the hold is allowed: nothing is left held, and the result can only confirm it.
    const all = await usage(id, prover.key, { units: '30', cumulative: true }).expect(200);
    expect(all.body).toMatchObject({ metered_micros: '9999990', held_micros: '0' });
    await ctx.report(id, prover.key, { success: true, final_cost_micros: 9_999_990 }).expect(201);
    expect((await ctx.job(id).expect(200)).body).toMatchObject({
      status: expect.stringMatching(/^(COMPLETED|AUDITED)$/),
      refunded_micros: '0',
    });
    expect(await ctx.totals()).toEqual({ posted: '0', pending: '0' });
    await verified();
  });

  it('a final cost below what was metered is refused; a cancel refunds only what was not earned', async () => {
    const { id, client, prover } = await meteredJob();
    await usage(id, prover.key, { units: '10.5', cumulative: true }).expect(200);
    const low = await ctx.report(id, prover.key, { success: true, final_cost_micros: 3_499_996 }).expect(400);
    expect(low.body).toMatchObject({ code: 'DSE-001', field: 'final_cost_micros' });
    const cancelled = await t.http().post(`/v1/jobs/${id}/cancel`).set(client.key).send({}).expect(200);
    expect(cancelled.body).toMatchObject({ status: 'CANCELLED', refunded_micros: '6499993' });
    expect(cancelled.body.assignments[0].reward_micros).toBe('3412497');
    const timeline = (await t.http().get(`/v1/jobs/${id}/timeline`).set(ctx.admin()).expect(200)).body;
    // held = captured + refunded; captured = fee + rewards.
    expect(timeline.money).toEqual({
      held_micros: '9999990',
      captured_micros: '3499997',
      fee_micros: '87500',
      refunded_micros: '6499993',
      rewards: [{ prover_id: prover.name, amount_micros: '3412497' }],
    });
    expect(await ctx.postedMicros('user', client.name)).toBe(20_000_000n - 3_499_997n);
    expect(await pending('user', client.name)).toBe(0n);
    expect(await ctx.postedMicros('provider', prover.name)).toBe(3_412_497n);
    const late = await usage(id, prover.key, { units: '11', cumulative: true }).expect(409);
    expect(late.body.code).toBe('DSE-010');
    expect(await ctx.totals()).toEqual({ posted: '0', pending: '0' });
    await verified();
  });

  it('refuses the wrong role, another prover, jobs not metered and bad input, changing nothing', async () => {
    const { id, client, prover } = await meteredJob();
    const other = await ctx.workingProver();
    await usage(id, prover.key, { units: '1', cumulative: true }).expect(200);
    const before = await snapshot(id, client.name, prover.name);
    expect((await usage(id, client.key, { units: '2', cumulative: true }).expect(403)).body.code).toBe('DSE-002');
    expect((await usage(id, ctx.admin(), { units: '2', cumulative: true }).expect(403)).body.code).toBe('DSE-002');
    expect((await usage(id, other.key, { units: '2', cumulative: true }).expect(404)).body.code).toBe('DSE-003');
    for (const body of [
      {},
      { units: '2' },
      { units: '2', cumulative: false },
      { units: '2', cumulative: 'true' },
      { units: 2, cumulative: true },
      { units: '0', cumulative: true },
      { units: '-1', cumulative: true },
      { units: '1.0000001', cumulative: true },
      { units: 'abc', cumulative: true },
      { units: '2', cumulative: true, extra: 1 },
    ]) {
      const res = await usage(id, prover.key, body).expect(400);
      expect(res.body.code).toBe('DSE-001');
    }
    expect(await snapshot(id, client.name, prover.name)).toEqual(before);

    // A job without a service, and a replicated one, are not metered.
    const plain = await ctx.running(client.key, [prover], { max_cost_micros: 1_000_000 });
    const noService = await usage(plain, prover.key, { units: '1', cumulative: true }).expect(400);
    expect(noService.body).toMatchObject({ code: 'DSE-001', detail: expect.stringMatching(/service/) });
    const service = await newService();
    const replicated = await ctx.running(client.key, [prover, other], {
      service,
      units: '1',
      replicas: 2,
      max_cost_micros: 1_000_000,
    });
    const many = await usage(replicated, prover.key, { units: '1', cumulative: true }).expect(400);
    expect(many.body).toMatchObject({ code: 'DSE-001', detail: expect.stringMatching(/replicated/) });
    await verified();
  });

  it('metered_refund all: shares are held until the end; a cancel gives the client everything back', async () => {
    const { id, client, prover } = await meteredJob('all');
    const platformBefore = await ctx.postedMicros('platform', 'main');
    await usage(id, prover.key, { units: '10.5', cumulative: true }).expect(200);
    const second = await usage(id, prover.key, { units: '24', cumulative: true }).expect(200);
    expect(second.body).toMatchObject({ metered_micros: '7999992', reward_micros: '7799992', held_micros: '1999998' });
    // Captured from the client, but the prover's 7 799 992 is held for it, not paid.
    expect(await ctx.postedMicros('user', client.name)).toBe(20_000_000n - 7_999_992n);
    expect(await ctx.postedMicros('provider', prover.name)).toBe(0n);
    expect(await incoming('provider', prover.name)).toBe(7_799_992n);
    const cancelled = await t.http().post(`/v1/jobs/${id}/cancel`).set(client.key).send({}).expect(200);
    expect(cancelled.body).toMatchObject({ status: 'CANCELLED', refunded_micros: '9999990', platform_fee_micros: '0' });
    expect(cancelled.body.assignments[0].reward_micros).toBeNull();
    const timeline = (await t.http().get(`/v1/jobs/${id}/timeline`).set(ctx.admin()).expect(200)).body;
    expect(timeline.money).toMatchObject({
      captured_micros: '0',
      fee_micros: '0',
      refunded_micros: '9999990',
      rewards: [],
    });
    expect(await ctx.postedMicros('user', client.name)).toBe(20_000_000n);
    expect(await pending('user', client.name)).toBe(0n);
    expect(await ctx.postedMicros('provider', prover.name)).toBe(0n);
    expect(await incoming('provider', prover.name)).toBe(0n);
    expect(await ctx.postedMicros('platform', 'main')).toBe(platformBefore);
    expect(await ctx.totals()).toEqual({ posted: '0', pending: '0' });
    await verified();
  });

  it('metered_refund all: the result releases the held shares, to the same micros as earned', async () => {
    const { id, client, prover } = await meteredJob('all');
    const platformBefore = await ctx.postedMicros('platform', 'main');
    await usage(id, prover.key, { units: '10.5', cumulative: true }).expect(200);
    await usage(id, prover.key, { units: '24', cumulative: true }).expect(200);
    const result = await ctx.report(id, prover.key, { success: true, final_cost_micros: 9_000_000 }).expect(201);
    expect(result.body).toMatchObject({ reward_micros: '8774999', refunded_micros: '999990' });
    expect(await ctx.postedMicros('provider', prover.name)).toBe(8_774_999n);
    expect(await incoming('provider', prover.name)).toBe(0n);
    expect((await ctx.postedMicros('platform', 'main')) - platformBefore).toBe(225_001n);
    expect(await ctx.postedMicros('user', client.name)).toBe(20_000_000n - 9_000_000n);
    expect(await ctx.totals()).toEqual({ posted: '0', pending: '0' });
    await verified();
  });

  it.each(['earned', 'all'] as const)(
    'usage racing a cancel (%s): nothing paid twice, nothing earned refunded',
    async (rule) => {
      for (let round = 0; round < 8; round++) {
        const { id, client, prover } = await meteredJob(rule);
        await usage(id, prover.key, { units: '3', cumulative: true }).expect(200);
        const [reported, cancelled] = await Promise.all([
          usage(id, prover.key, { units: '9', cumulative: true }),
          t.http().post(`/v1/jobs/${id}/cancel`).set(client.key).send({}),
        ]);
        expect(cancelled.status).toBe(200);
        expect([200, 409]).toContain(reported.status);
        // 3 units cost 999 999 (the prover 974 999); 9 units 2 999 997 (the prover 2 924 997).
        // Under `all` the client gets everything back and the prover keeps nothing.
        const metered = rule === 'all' ? 0n : reported.status === 200 ? 2_999_997n : 999_999n;
        const earned = rule === 'all' ? 0n : reported.status === 200 ? 2_924_997n : 974_999n;
        expect(cancelled.body.refunded_micros).toBe((9_999_990n - metered).toString());
        expect(await incoming('provider', prover.name)).toBe(0n);
        expect(await ctx.postedMicros('user', client.name)).toBe(20_000_000n - metered);
        expect(await pending('user', client.name)).toBe(0n);
        expect(await ctx.postedMicros('provider', prover.name)).toBe(earned);
        // A usage report retried after the cancel moves nothing.
        await usage(id, prover.key, { units: '9', cumulative: true }).expect(reported.status);
        expect(await ctx.postedMicros('provider', prover.name)).toBe(earned);
      }
      expect(await ctx.totals()).toEqual({ posted: '0', pending: '0' });
      await verified();
    },
  );

  it('takes the same report over gRPC (JobService/ReportUsage), with the same refusals', async () => {
    const grpc = new GrpcCtx(t);
    try {
      const { id, client, prover } = await meteredJob();
      const first = await grpc.call(
        grpc.jobs,
        'ReportUsage',
        { network_job_id: id, units: '10.5', cumulative: true },
        prover.key,
      );
      expect(first.message).toEqual({
        network_job_id: id,
        units: '10.5',
        metered_micros: '3499997',
        reward_micros: '3412497',
        held_micros: '6499993',
      });
      const again = await grpc.call(
        grpc.jobs,
        'ReportUsage',
        { network_job_id: id, units: '10.5', cumulative: true },
        prover.key,
      );
      expect(again.message).toEqual(first.message);
      expect(again.trailer.get('idempotent-replayed')).toEqual(['true']);
      const over = await grpc.failure(
        grpc.jobs,
        'ReportUsage',
        { network_job_id: id, units: '31', cumulative: true },
        prover.key,
      );
      expect(over.dseCode).toBe('DSE-013');
      const notCumulative = await grpc.failure(
        grpc.jobs,
        'ReportUsage',
        { network_job_id: id, units: '11' },
        prover.key,
      );
      expect(notCumulative.dseCode).toBe('DSE-001');
      const byClient = await grpc.failure(
        grpc.jobs,
        'ReportUsage',
        { network_job_id: id, units: '11', cumulative: true },
        client.key,
      );
      expect(byClient.dseCode).toBe('DSE-002');
      expect(await ctx.postedMicros('provider', prover.name)).toBe(3_412_497n);
    } finally {
      grpc.close();
    }
  });
});
