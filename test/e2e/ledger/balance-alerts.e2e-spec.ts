import { randomUUID } from 'node:crypto';
import { LedgerCtx } from '../../support/ledger-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

/** Balance alerts: once per crossing, in the crossing transaction, through the outbox. */
describe('balance alerts', () => {
  let t: TestApp;
  let ctx: LedgerCtx;
  beforeAll(async () => {
    t = await startTestApp();
    ctx = new LedgerCtx(t);
  });
  afterAll(() => t.close());

  const spend = (key: Record<string, string>, amount: string, accountId?: string) =>
    t
      .http()
      .post('/v1/credits/spend')
      .set(key)
      .set('Idempotency-Key', randomUUID())
      .send({ amount, ...(accountId ? { account_id: accountId } : {}) });

  /** The BalanceAlertTriggered events of an alert, oldest first, with the transfer that fired each. */
  const firings = async (alertId: string): Promise<{ transfer_id: string; available: string; threshold: string }[]> =>
    (
      await t.dataSource.query(
        `SELECT payload FROM outbox WHERE event_type = 'BalanceAlertTriggered' AND payload->>'alert_id' = $1 ORDER BY id`,
        [alertId],
      )
    ).map((r: { payload: { transfer_id: string; available: string; threshold: string } }) => r.payload);

  it('fires once on crossing below, not on further spends below, and again after crossing back', async () => {
    const alice = ctx.name('alice');
    await ctx.mint('user', alice, '100');
    const key = await ctx.newKey('client', alice);
    const created = await t
      .http()
      .post(`/v1/credits/accounts/user/${alice}/alerts`)
      .set(key)
      .send({ below: '50' })
      .expect(201);
    expect(created.body.items).toEqual([
      expect.objectContaining({
        account_type: 'user',
        account_id: alice,
        direction: 'below',
        threshold: '50',
        armed: true,
      }),
    ]);
    const alertId: string = created.body.items[0].alert_id;

    await spend(key, '30').expect(201); // 70
    expect(await firings(alertId)).toEqual([]);
    const crossing = await spend(key, '25').expect(201); // 45: crosses
    await spend(key, '10').expect(201); // 35: still below
    expect(await firings(alertId)).toEqual([
      expect.objectContaining({ transfer_id: crossing.body.transfer_id, available: '45', threshold: '50' }),
    ]);

    await ctx.mint('user', alice, '20'); // 55: re-armed, fires nothing
    expect(await firings(alertId)).toHaveLength(1);
    const again = await spend(key, '6').expect(201); // 49: crosses again
    expect((await firings(alertId)).map((f) => f.transfer_id)).toEqual([
      crossing.body.transfer_id,
      again.body.transfer_id,
    ]);

    const listed = await t.http().get(`/v1/credits/accounts/user/${alice}/alerts`).set(key).expect(200);
    expect(listed.body.items).toEqual([expect.objectContaining({ alert_id: alertId, armed: false, fired_count: 2 })]);
  });

  it('an above alert fires when the balance rises past it; one made past its threshold waits for a crossing', async () => {
    const bob = ctx.name('bob');
    await ctx.mint('user', bob, '10');
    const made = await t
      .http()
      .post(`/v1/credits/accounts/user/${bob}/alerts`)
      .set(ctx.admin())
      .send({ above: '15', below: '20' })
      .expect(201);
    const byDirection = (d: string) => made.body.items.find((a: { direction: string }) => a.direction === d);
    const [above, below] = [byDirection('above'), byDirection('below')];
    expect([above.armed, below.armed]).toEqual([true, false]); // at 10: not above 15, already below 20
    const rising = await ctx.mint('user', bob, '6'); // 16
    expect((await firings(above.alert_id)).map((f) => f.transfer_id)).toEqual([rising.body.transfer_id]);
    expect(await firings(below.alert_id)).toEqual([]);
  });

  it('racing spends that cross together fire the alert exactly once', async () => {
    const carol = ctx.name('carol');
    await ctx.mint('user', carol, '100');
    const key = await ctx.newKey('client', carol);
    const made = await t
      .http()
      .post(`/v1/credits/accounts/user/${carol}/alerts`)
      .set(key)
      .send({ below: '50' })
      .expect(201);
    // Two callers (the client and an admin) race 20 spends of 5 down to zero.
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? spend(key, '5') : spend(ctx.admin(), '5', carol))),
    );
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(201));
    expect((await ctx.balance('user', carol)).available).toBe('0');
    const fired = await firings(made.body.items[0].alert_id);
    expect(fired).toHaveLength(1);
    expect(fired[0].available).toBe('45');
  });

  it('a key manages only its own account, inputs are validated, and a removed alert is gone', async () => {
    const dave = ctx.name('dave');
    const eve = ctx.name('eve');
    await ctx.mint('user', dave, '5');
    const daveKey = await ctx.newKey('client', dave);
    const eveKey = await ctx.newKey('client', eve);
    const url = `/v1/credits/accounts/user/${dave}/alerts`;
    await t.http().post(url).set(eveKey).send({ below: '1' }).expect(403);
    await t.http().get(url).set(eveKey).expect(403);
    for (const body of [{}, { below: '-1' }, { below: '1.0000001' }, { above: 3 }, { below: '0' }]) {
      const res = await t.http().post(url).set(daveKey).send(body).expect(400);
      expect(res.body.code).toBe('DSE-001');
    }
    await t
      .http()
      .post(`/v1/credits/accounts/user/${ctx.name('nobody')}/alerts`)
      .set(ctx.admin())
      .send({ below: '1' })
      .expect(404);

    const made = await t.http().post(url).set(daveKey).send({ below: '1' }).expect(201);
    const alertId = made.body.items[0].alert_id;
    await t.http().delete(`${url}/${alertId}`).set(eveKey).expect(403);
    await t.http().delete(`${url}/${alertId}`).set(daveKey).expect(204);
    await t.http().delete(`${url}/${alertId}`).set(daveKey).expect(404);
    expect((await t.http().get(url).set(daveKey).expect(200)).body.items).toEqual([]);
    const [row] = await t.dataSource.query(`SELECT has_alerts FROM accounts WHERE kind = 'user' AND owner_id = $1`, [
      dave,
    ]);
    expect(row.has_alerts).toBe(false);
    await spend(daveKey, '5').expect(201); // no alert left: nothing fires
    expect(await firings(alertId)).toEqual([]);
  });
});
