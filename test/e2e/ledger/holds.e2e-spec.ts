import { randomUUID } from 'node:crypto';
import { LedgerCtx, microsOf } from '../../support/ledger-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

describe('holds', () => {
  let t: TestApp;
  let ctx: LedgerCtx;
  beforeAll(async () => {
    t = await startTestApp();
    ctx = new LedgerCtx(t);
  });
  afterAll(() => t.close());

  const hold = (account: string, amount: string, extra: Record<string, unknown> = {}) =>
    t
      .http()
      .post('/v1/credits/holds')
      .set(ctx.admin())
      .set('Idempotency-Key', randomUUID())
      .send({ account_type: 'user', account_id: account, amount, ...extra });

  it('places a hold, captures part of it and releases the rest, exactly', async () => {
    const u = ctx.name();
    await ctx.mint('user', u, '10');
    const escrowBefore = await ctx.balance('escrow', 'main');
    const placed = await hold(u, '4').expect(201);
    expect(placed.body.kind).toBe('hold');
    expect(await ctx.balance('user', u)).toMatchObject({ posted: '10', pending: '4', available: '6' });

    const platformBefore = await ctx.balance('platform', 'main');
    const captured = await t
      .http()
      .post(`/v1/credits/holds/${placed.body.transfer_id}/capture`)
      .set(ctx.admin())
      .set('Idempotency-Key', randomUUID())
      .send({ amount: '1.5' })
      .expect(201);
    expect(captured.body.kind).toBe('capture');
    expect(await ctx.balance('user', u)).toMatchObject({ posted: '8.5', pending: '0', available: '8.5' });
    const platformAfter = await ctx.balance('platform', 'main');
    expect(microsOf(platformAfter.posted) - microsOf(platformBefore.posted)).toBe(1_500_000n);
    expect(await ctx.balance('escrow', 'main')).toEqual(escrowBefore);

    const again = await t
      .http()
      .post(`/v1/credits/holds/${placed.body.transfer_id}/capture`)
      .set(ctx.admin())
      .set('Idempotency-Key', randomUUID())
      .send({ amount: '1' })
      .expect(409);
    expect(again.body.code).toBe('DSE-010');
    const state = await t.http().get(`/v1/credits/holds/${placed.body.transfer_id}`).set(ctx.admin()).expect(200);
    expect(state.body).toMatchObject({ status: 'captured', amount: '4', captured: '1.5' });
    expect(await ctx.totals()).toEqual({ posted: '0', pending: '0' });
  });

  it('voids a hold with a full release, and refuses to capture more than held', async () => {
    const u = ctx.name();
    await ctx.mint('user', u, '3');
    const placed = await hold(u, '3').expect(201);
    const over = await t
      .http()
      .post(`/v1/credits/holds/${placed.body.transfer_id}/capture`)
      .set(ctx.admin())
      .set('Idempotency-Key', randomUUID())
      .send({ amount: '3.000001' })
      .expect(422);
    expect(over.body.code).toBe('DSE-013');
    await t
      .http()
      .post(`/v1/credits/holds/${placed.body.transfer_id}/void`)
      .set(ctx.admin())
      .set('Idempotency-Key', randomUUID())
      .expect(201);
    expect(await ctx.balance('user', u)).toMatchObject({ posted: '3', pending: '0', available: '3' });
  });

  it("counts a hold's pending amount against a spend that would overdraw", async () => {
    const u = ctx.name();
    await ctx.mint('user', u, '5');
    await hold(u, '4').expect(201);
    const key = await ctx.newKey('client', u);
    const spend = (amount: string) =>
      t.http().post('/v1/credits/spend').set(key).set('Idempotency-Key', randomUUID()).send({ amount });
    expect((await spend('1.000001')).status).toBe(402);
    expect((await spend('1')).status).toBe(201);
    expect(await ctx.balance('user', u)).toMatchObject({ posted: '4', pending: '4', available: '0' });
    expect((await hold(u, '0.000001')).status).toBe(402);
  });

  it('releases an expired hold by the periodic sweep', async () => {
    const u = ctx.name();
    await ctx.mint('user', u, '2');
    const placed = await hold(u, '2', { expires_in_seconds: 1 }).expect(201);
    expect((await ctx.balance('user', u)).available).toBe('0');
    const deadline = Date.now() + 10_000;
    let status = 'pending';
    while (status === 'pending' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      status = (await t.http().get(`/v1/credits/holds/${placed.body.transfer_id}`).set(ctx.admin())).body.status;
    }
    expect(status).toBe('expired');
    expect(await ctx.balance('user', u)).toMatchObject({ posted: '2', pending: '0', available: '2' });
    const capture = await t
      .http()
      .post(`/v1/credits/holds/${placed.body.transfer_id}/capture`)
      .set(ctx.admin())
      .set('Idempotency-Key', randomUUID())
      .send({ amount: '1' })
      .expect(409);
    expect(capture.body.code).toBe('DSE-010');
  });

  it('settles exactly one of a capture and a void racing on one hold', async () => {
    const u = ctx.name();
    await ctx.mint('user', u, '6');
    const placed = await hold(u, '6').expect(201);
    const id = placed.body.transfer_id;
    const [cap, vd] = await Promise.all([
      t
        .http()
        .post(`/v1/credits/holds/${id}/capture`)
        .set(ctx.admin())
        .set('Idempotency-Key', randomUUID())
        .send({ amount: '6' }),
      t.http().post(`/v1/credits/holds/${id}/void`).set(ctx.admin()).set('Idempotency-Key', randomUUID()),
    ]);
    expect([cap.status, vd.status].sort()).toEqual([201, 409]);
    const expected = cap.status === 201 ? '0' : '6';
    expect(await ctx.balance('user', u)).toMatchObject({ posted: expected, pending: '0' });
    expect(await ctx.totals()).toEqual({ posted: '0', pending: '0' });
  });
});
