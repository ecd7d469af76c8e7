import { randomUUID } from 'node:crypto';
import { JOB_COMPLETED, JOB_FAILED } from '@tally/jobs';
import { LedgerVerifier } from '@tally/ledger';
import { oneCreditSchedule } from '../../support/jobs-ctx';
import { microsOf } from '../../support/ledger-ctx';
import { SchedulerCtx, TestProver } from '../../support/scheduler-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

type Headers = Record<string, string>;

/**
 * Slashing by a service's terms: a dissenting replica at settlement, a prover that went silent
 * holding a job. The first test is the worked example of docs/economics.md, number for number.
 */
describe('slashing', () => {
  let t: TestApp;
  let ctx: SchedulerCtx;
  let mine: TestProver[] = [];
  beforeAll(async () => {
    // Ticks and sweeps run by the tests; a job whose prover goes silent fails at once (one attempt).
    t = await startTestApp({ SCHEDULER_ENABLED: 'false', SCHEDULER_MAX_ATTEMPTS: '1' });
    ctx = new SchedulerCtx(t);
  });
  afterAll(() => t.close());
  afterEach(async () => {
    await ctx.cancelUnsettled();
    for (const p of mine) await ctx.drain(p);
    mine = [];
  });

  const sid = () => `slash-${randomUUID().slice(0, 8)}`;
  const move = (p: { name: string; key: Headers }, what: 'stake' | 'unstake', amount: string) =>
    t.http().post(`/v1/provers/${p.name}/${what}`).set(p.key).set('Idempotency-Key', randomUUID()).send({ amount });
  /** A working prover (admins assign to it, ticks do not once drained) with `bonded` credits staked (none: no stake at all). */
  const staked = async (bonded?: string) => {
    const p = await ctx.workingProver();
    mine.push({ ...p, spec: {} }); // drained after the test: no later tick gives it a job
    if (bonded !== undefined) {
      await ctx.mint('provider', p.name, bonded);
      await move(p, 'stake', bonded).expect(201);
    }
    return p;
  };
  const stakeOf = async (prover: string) =>
    (await t.http().get(`/v1/provers/${prover}`).set(ctx.admin()).expect(200)).body.stake;
  const slashTransfers = async (jobId: string): Promise<{ prover_id: string; amount: string }[]> =>
    t.dataSource.query(
      `SELECT prover_id, amount::text FROM transfers WHERE job_id = $1 AND kind = 'slash' ORDER BY seq`,
      [jobId],
    );
  const event = async (type: string, jobId: string) => {
    const [row] = await t.dataSource.query(`SELECT payload FROM outbox WHERE event_type = $1 AND partition_key = $2`, [
      type,
      jobId,
    ]);
    return row.payload;
  };
  const receiptSlashes = async (jobId: string) => {
    const [row] = await t.dataSource.query(
      `SELECT jsonb_path_query_first(document, '$.**.slashes') AS slashes FROM receipts
       WHERE network_job_id = $1 AND kind = 'settlement'`,
      [jobId],
    );
    return row?.slashes ?? null;
  };
  /** A job of `units` units on three replicas, run by a, b and c; a and b agree, c reports another result. */
  const dissented = async (service: string, [a, b, c]: { name: string; key: Headers }[], client: Headers) => {
    const id = await ctx.running(client, [a, b, c], { service, units: '1', replicas: 3, max_cost_micros: 3_000_000 });
    await ctx.report(id, c.key, { success: true, final_cost_micros: 1_500_000, result_hash: 'other' }).expect(201);
    await ctx.report(id, a.key, { success: true, final_cost_micros: 2_000_000, result_hash: 'h' }).expect(201);
    const decided = await ctx
      .report(id, b.key, { success: true, final_cost_micros: 2_000_000, result_hash: 'h' })
      .expect(201);
    expect(decided.body).toMatchObject({ outcome: 'COMPLETED' });
    return id;
  };

  // docs/economics.md, "Slashing": this test is its worked example, number for number.
  it('slashes a dissenter exactly as the worked example of docs/economics.md', async () => {
    const service = sid();
    await ctx.putService(service, oneCreditSchedule({ fee_bps: 500, slash_dissent_bps: 1000 })).expect(201);
    const client = await ctx.fundedClient('10');
    const [a, b, c] = [await staked('40'), await staked(), await staked('30')];
    const platformBefore = await ctx.postedMicros('platform', 'main');

    const id = await dissented(service, [a, b, c], client.key);
    // cost 2 000 000; pool 2 000 000 × 9 500 / 10 000 = 1 900 000: a, b 950 000 each, fee 100 000.
    // c: 30 000 000 bonded × 1 000 / 10 000 = 3 000 000 slashed: 2 000 000 (the cost) to the
    // client, 1 000 000 to the platform. a has a stake too, but agreed: it keeps it whole.
    expect(await slashTransfers(id)).toEqual([{ prover_id: c.name, amount: '3000000' }]);
    expect(await ctx.postedMicros('provider', a.name)).toBe(950_000n);
    expect(await ctx.postedMicros('provider', b.name)).toBe(950_000n);
    expect(await ctx.postedMicros('provider', c.name)).toBe(0n);
    expect(await ctx.postedMicros('stake', c.name)).toBe(27_000_000n);
    expect(await ctx.postedMicros('stake', a.name)).toBe(40_000_000n);
    expect(await ctx.postedMicros('user', client.name)).toBe(10_000_000n);
    expect((await ctx.postedMicros('platform', 'main')) - platformBefore).toBe(1_100_000n);
    expect(await stakeOf(c.name)).toMatchObject({ bonded_micros: '27000000', slashed_micros: '3000000' });
    expect(await stakeOf(a.name)).toMatchObject({ bonded_micros: '40000000', slashed_micros: '0' });
    expect((await ctx.job(id).expect(200)).body).toMatchObject({ platform_fee_micros: '100000' });

    const slash = {
      prover_id: c.name,
      slashed_micros: '3000000',
      to_client_micros: '2000000',
      to_platform_micros: '1000000',
    };
    expect((await event(JOB_COMPLETED, id)).slashes).toEqual([slash]);
    const [{ id: transferId }] = await t.dataSource.query(
      `SELECT id::text FROM transfers WHERE job_id = $1 AND kind = 'slash'`,
      [id],
    );
    expect(await receiptSlashes(id)).toEqual([{ ...slash, reason: 'dissent', transfer_id: transferId }]);
    expect(await ctx.totals()).toEqual({ posted: '0', pending: '0' });
  });

  it('caps a slash at slash_cap_micros, and slashes no one with nothing bonded', async () => {
    const service = sid();
    await ctx
      .putService(service, oneCreditSchedule({ slash_dissent_bps: 10_000, slash_cap_micros: '2500000' }))
      .expect(201);
    const client = await ctx.fundedClient('10');
    const [a, b, c] = [await staked(), await staked(), await staked('10')];
    const capped = await dissented(service, [a, b, c], client.key);
    expect(await slashTransfers(capped)).toEqual([{ prover_id: c.name, amount: '2500000' }]);
    expect((await event(JOB_COMPLETED, capped)).slashes).toEqual([
      { prover_id: c.name, slashed_micros: '2500000', to_client_micros: '2000000', to_platform_micros: '500000' },
    ]);
    expect(await stakeOf(c.name)).toMatchObject({ bonded_micros: '7500000', slashed_micros: '2500000' });

    // The same dissent from a prover without a stake: no slash, no zero posting, no slashes listed.
    const d = await staked();
    const free = await dissented(service, [a, b, d], client.key);
    expect(await slashTransfers(free)).toEqual([]);
    expect((await event(JOB_COMPLETED, free)).slashes).toBeUndefined();
    expect(await receiptSlashes(free)).toBeNull();
    expect(await ctx.totals()).toEqual({ posted: '0', pending: '0' });
  });

  it('pays the compensation from several slashed dissenters in replica order until the cost is reached', async () => {
    const service = sid();
    await ctx.putService(service, oneCreditSchedule({ fee_bps: 0, slash_dissent_bps: 1000 })).expect(201);
    const client = await ctx.fundedClient('10');
    const [a, b, c, d, e] = [await staked(), await staked(), await staked(), await staked('15'), await staked('8')];
    const id = await ctx.running(client.key, [a, b, c, d, e], {
      service,
      units: '1',
      replicas: 5,
      max_cost_micros: 5_000_000,
    });
    await ctx.report(id, d.key, { success: true, final_cost_micros: 1_000_000, result_hash: 'x' }).expect(201);
    await ctx.report(id, e.key, { success: true, final_cost_micros: 1_000_000, result_hash: 'y' }).expect(201);
    for (const p of [a, b, c]) {
      await ctx.report(id, p.key, { success: true, final_cost_micros: 2_000_000, result_hash: 'h' }).expect(201);
    }
    // cost 2 000 000. d (replica 4): 1 500 000, all to the client; e (replica 5): 800 000, of
    // which the 500 000 left of the cost to the client and 300 000 to the platform.
    expect((await event(JOB_COMPLETED, id)).slashes).toEqual([
      { prover_id: d.name, slashed_micros: '1500000', to_client_micros: '1500000', to_platform_micros: '0' },
      { prover_id: e.name, slashed_micros: '800000', to_client_micros: '500000', to_platform_micros: '300000' },
    ]);
    expect(await ctx.postedMicros('user', client.name)).toBe(10_000_000n);
    expect(await ctx.totals()).toEqual({ posted: '0', pending: '0' });
  });

  it('does not slash a replica that reported a failure: it is not a dissenter for slashing', async () => {
    const service = sid();
    await ctx.putService(service, oneCreditSchedule({ slash_dissent_bps: 5000 })).expect(201);
    const client = await ctx.fundedClient('10');
    const [a, b, c] = [await staked(), await staked(), await staked('10')];
    const id = await ctx.running(client.key, [a, b, c], {
      service,
      units: '1',
      replicas: 3,
      max_cost_micros: 3_000_000,
    });
    await ctx.report(id, c.key, { success: false, error_message: 'out of memory' }).expect(201);
    await ctx.report(id, a.key, { success: true, final_cost_micros: 1_000_000, result_hash: 'h' }).expect(201);
    await ctx.report(id, b.key, { success: true, final_cost_micros: 1_000_000, result_hash: 'h' }).expect(201);
    expect(await slashTransfers(id)).toEqual([]);
    expect(await stakeOf(c.name)).toMatchObject({ bonded_micros: '10000000', slashed_micros: '0' });
  });

  it('slashes a prover that went silent holding a job, and stops giving it the service once under its minimum', async () => {
    const service = sid();
    await ctx
      .putService(service, oneCreditSchedule({ slash_timeout_bps: 2000, min_stake_micros: '9000000' }))
      .expect(201);
    const client = await ctx.fundedClient('10');
    const p = await ctx.liveProver();
    mine.push(p);
    await ctx.mint('provider', p.name, '10');
    await move(p, 'stake', '10').expect(201);
    const id = await ctx.submitted(client.key, { service, units: '1', max_cost_micros: 1_000_000 });
    expect(await ctx.tick()).toMatchObject({ assigned: 1 });
    await ctx.start(id, p.key).expect(201);

    await ctx.silence(p);
    expect(await ctx.sweep()).toMatchObject({ offline: [p.name], gaveUp: 1 });
    // 10 000 000 × 2 000 / 10 000 = 2 000 000: the client, refunded its hold of 1 000 000, gets
    // as much again as compensation (capped at the hold); the platform the other 1 000 000.
    expect(await slashTransfers(id)).toEqual([{ prover_id: p.name, amount: '2000000' }]);
    expect((await event(JOB_FAILED, id)).slashes).toEqual([
      { prover_id: p.name, slashed_micros: '2000000', to_client_micros: '1000000', to_platform_micros: '1000000' },
    ]);
    expect(await ctx.postedMicros('user', client.name)).toBe(11_000_000n);
    expect(await stakeOf(p.name)).toMatchObject({ bonded_micros: '8000000', slashed_micros: '2000000' });
    expect(await receiptSlashes(id)).toMatchObject([{ prover_id: p.name, reason: 'timeout' }]);

    // Back, but 8 credits bonded is under the service's 9: its next job waits, until it bonds more.
    await ctx.heartbeat(p);
    const next = await ctx.submitted(client.key, { service, units: '1', max_cost_micros: 1_000_000 });
    expect(await ctx.tick()).toMatchObject({ assigned: 0 });
    expect(await ctx.jobRow(next)).toMatchObject({ status: 'PENDING', provers: [] });
    await ctx.mint('provider', p.name, '1');
    await move(p, 'stake', '1').expect(201);
    expect(await ctx.tick()).toMatchObject({ assigned: 1 });
    expect(await ctx.jobRow(next)).toMatchObject({ status: 'ASSIGNED', provers: [p.name] });
    expect(await ctx.totals()).toEqual({ posted: '0', pending: '0' });
  });

  it('never slashes more than is bonded at its moment when an unstake races it', async () => {
    const service = sid();
    await ctx.putService(service, oneCreditSchedule({ slash_dissent_bps: 5000 })).expect(201);
    const client = await ctx.fundedClient('100');
    const [a, b] = [await staked(), await staked()];
    const outcomes = new Set<string>();
    for (let round = 0; round < 12; round++) {
      const c = await staked('4');
      const id = await ctx.running(client.key, [a, b, c], {
        service,
        units: '1',
        replicas: 3,
        max_cost_micros: 3_000_000,
      });
      await ctx.report(id, c.key, { success: true, final_cost_micros: 1_000_000, result_hash: 'other' }).expect(201);
      await ctx.report(id, a.key, { success: true, final_cost_micros: 1_000_000, result_hash: 'h' }).expect(201);
      // The deciding report (and its slash of half of c's stake) races c unbonding 3 of its 4
      // credits, a little later each round so that either may come first.
      const [decided, unstake] = await Promise.all([
        ctx.report(id, b.key, { success: true, final_cost_micros: 1_000_000, result_hash: 'h' }),
        new Promise((r) => setTimeout(r, round * 4)).then(() => move(c, 'unstake', '3')),
      ]);
      expect(decided.status).toBe(201);
      const slashes = await slashTransfers(id);
      if (unstake.status === 201) {
        // Unbonded first: 1 credit was bonded at the settlement, half of it slashed.
        expect(slashes).toEqual([{ prover_id: c.name, amount: '500000' }]);
        expect(await stakeOf(c.name)).toMatchObject({
          bonded_micros: '500000',
          unbonding_micros: '3000000',
          slashed_micros: '500000',
        });
        outcomes.add('unstaked first');
      } else {
        // Slashed first: half of the 4 credits, and the unbonding of 3 was refused (2 were left).
        expect(unstake.status).toBe(402);
        expect(slashes).toEqual([{ prover_id: c.name, amount: '2000000' }]);
        expect(await stakeOf(c.name)).toMatchObject({
          bonded_micros: '2000000',
          unbonding_micros: '0',
          slashed_micros: '2000000',
        });
        outcomes.add('slashed first');
      }
      expect(microsOf((await ctx.balance('stake', c.name)).available)).toBeGreaterThanOrEqual(0n);
    }
    expect(outcomes.size).toBeGreaterThan(0);
    expect(await ctx.totals()).toEqual({ posted: '0', pending: '0' });
    expect((await t.app.get(LedgerVerifier).verify()).problems).toEqual([]);
  });

  it('keeps the slashing terms per version and shows them on GET', async () => {
    const service = sid();
    expect((await ctx.putService(service, oneCreditSchedule()).expect(201)).body).toMatchObject({
      slash_dissent_bps: 0,
      slash_timeout_bps: 0,
      slash_cap_micros: null,
    });
    await ctx
      .putService(service, oneCreditSchedule({ slash_dissent_bps: 100, slash_timeout_bps: 200, slash_cap_micros: '5' }))
      .expect(200);
    expect((await ctx.getService(service).expect(200)).body).toMatchObject({
      version: '2',
      slash_dissent_bps: 100,
      slash_timeout_bps: 200,
      slash_cap_micros: '5',
    });
    const v1 = await t.http().get(`/v1/registry/services/${service}?version=1`).set(ctx.admin()).expect(200);
    expect(v1.body).toMatchObject({ slash_dissent_bps: 0, slash_cap_micros: null });
  });

  it.each([
    ['slash_dissent_bps', -1],
    ['slash_dissent_bps', 10_001],
    ['slash_dissent_bps', 1.5],
    ['slash_dissent_bps', '100'],
    ['slash_dissent_bps', null],
    ['slash_timeout_bps', -1],
    ['slash_timeout_bps', 10_001],
    ['slash_timeout_bps', '100'],
    ['slash_cap_micros', '-1'],
    ['slash_cap_micros', '1.5'],
    ['slash_cap_micros', 100],
    ['slash_cap_micros', '9223372036854775808'],
  ])('refuses %s = %p with 400 DSE-001 naming the field, and changes nothing', async (field, value) => {
    const service = sid();
    await ctx
      .putService(service, oneCreditSchedule({ slash_dissent_bps: 10, slash_timeout_bps: 20, slash_cap_micros: '30' }))
      .expect(201);
    const before = (await ctx.getService(service).expect(200)).body;
    const res = await ctx.putService(service, oneCreditSchedule({ [field]: value })).expect(400);
    expect(res.body.code).toBe('DSE-001');
    const fields = [res.body.field, ...(res.body.errors ?? []).map((e: { field: string }) => e.field)];
    expect(fields).toContain(field);
    expect((await ctx.getService(service).expect(200)).body).toEqual(before);
    const fresh = sid();
    await ctx.putService(fresh, oneCreditSchedule({ [field]: value })).expect(400);
    await ctx.getService(fresh).expect(404);
  });
});
