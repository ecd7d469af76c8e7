import { randomUUID } from 'node:crypto';
import { SchedulerCtx, TestProver } from '../../support/scheduler-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

/**
 * A service's min_stake_micros: its jobs go only to provers whose bonded stake meets it.
 * Ticks run by the test (SCHEDULER_ENABLED=false); each test drains the provers it made.
 */
describe('scheduler: a service minimum stake', () => {
  let t: TestApp;
  let ctx: SchedulerCtx;
  let mine: TestProver[] = [];
  beforeAll(async () => {
    t = await startTestApp({ SCHEDULER_ENABLED: 'false' });
    ctx = new SchedulerCtx(t);
  });
  afterAll(() => t.close());
  afterEach(async () => {
    await ctx.cancelUnsettled();
    for (const p of mine) await ctx.drain(p);
    mine = [];
  });

  const service = (id: string, extra: Record<string, unknown>) =>
    t
      .http()
      .put(`/v1/registry/services/${id}`)
      .set(ctx.admin())
      .send({
        price_per_unit: '0.01',
        unit: 'proof',
        size_factor: '1',
        minimum_charge: '0',
        hardware_requirements: {},
        ...extra,
      });
  /** A live prover with `bonded` credits staked (none: no stake account at all). */
  const stakedProver = async (bonded?: string) => {
    const p = await ctx.liveProver();
    mine.push(p);
    if (bonded !== undefined) {
      await ctx.mint('provider', p.name, bonded);
      await stake(p, 'stake', bonded);
    }
    return p;
  };
  const stake = (p: TestProver, what: 'stake' | 'unstake', amount: string) =>
    t
      .http()
      .post(`/v1/provers/${p.name}/${what}`)
      .set(p.key)
      .set('Idempotency-Key', randomUUID())
      .send({ amount })
      .expect(201);

  it('keeps min_stake_micros in the schedule, and refuses a bad one (DSE-001)', async () => {
    const id = `staked-${randomUUID().slice(0, 8)}`;
    const put = await service(id, { min_stake_micros: '5000000' }).expect(201);
    expect(put.body.min_stake_micros).toBe('5000000');
    expect((await t.http().get(`/v1/registry/services/${id}`).set(ctx.admin()).expect(200)).body.min_stake_micros).toBe(
      '5000000',
    );
    for (const bad of ['-1', '1.5', 'abc', '9223372036854775808', 5000000, '']) {
      const res = await service(id, { min_stake_micros: bad });
      expect([res.status, res.body.code]).toEqual([400, 'DSE-001']);
    }
    expect((await t.http().get(`/v1/registry/services/${id}`).set(ctx.admin()).expect(200)).body).toMatchObject({
      min_stake_micros: '5000000',
      version: '1',
    });
    // Replaced without it: no minimum any more.
    expect((await service(id, {}).expect(200)).body.min_stake_micros).toBeNull();
  });

  it("assigns a service's jobs only to provers whose bonded stake meets its minimum", async () => {
    const id = `staked-${randomUUID().slice(0, 8)}`;
    await service(id, { min_stake_micros: '5000000' }).expect(201);
    const client = await ctx.fundedClient('100');
    const enough = await stakedProver('5');
    const short = await stakedProver('4.999999');
    const none = await stakedProver();

    const one = await ctx.submitted(client.key, { service: id, units: '1' });
    const two = await ctx.submitted(client.key, { service: id, units: '1', replicas: 2 });
    const plain = await ctx.submitted(client.key, { replicas: 3 });
    await ctx.tick();
    expect(await ctx.jobRow(one)).toMatchObject({ status: 'ASSIGNED', provers: [enough.name] });
    expect(await ctx.jobRow(two)).toMatchObject({ status: 'PENDING', provers: [] });
    // A job of no service asks for no stake.
    expect((await ctx.jobRow(plain)).provers.sort()).toEqual([enough.name, short.name, none.name].sort());

    // An admin may not assign it to a prover short of the minimum either.
    const refused = await ctx.assign(two, [enough.name, none.name]).expect(400);
    expect(refused.body.code).toBe('DSE-001');
    expect(refused.body.detail).toContain('stake');

    // One more micro bonded: the short prover qualifies.
    await ctx.mint('provider', short.name, '0.000001');
    await stake(short, 'stake', '0.000001');
    await ctx.tick();
    expect((await ctx.jobRow(two)).provers.sort()).toEqual([enough.name, short.name].sort());

    // Unbonding takes a prover's stake under the minimum at once: no more of this service's jobs.
    await stake(enough, 'unstake', '0.000001');
    const three = await ctx.submitted(client.key, { service: id, units: '1' });
    await ctx.tick();
    expect(await ctx.jobRow(three)).toMatchObject({ status: 'ASSIGNED', provers: [short.name] });
  });
});
