import { randomUUID } from 'node:crypto';
import { LedgerCtx } from '../../../support/ledger-ctx';
import { startTestApp, TestApp } from '../../../support/test-app';

/** Linked chains where a member is answered before any posting: an id reused, or an invalid item before the chain. */
describe('POST /v1/credits/transfers/batch: chains with members refused before posting', () => {
  let t: TestApp;
  let ctx: LedgerCtx;
  beforeAll(async () => {
    t = await startTestApp();
    ctx = new LedgerCtx(t);
  });
  afterAll(() => t.close());

  const batch = (items: unknown[]) => ctx.batch(items).expect(200);
  const mint = (account: string, amount: string, extra: Record<string, unknown> = {}) => ({
    id: randomUUID(),
    kind: 'mint',
    account_type: 'user',
    account_id: account,
    amount,
    ...extra,
  });

  it('fails a whole chain whose member reuses, with another body, an id used earlier in the same batch', async () => {
    const a = ctx.name();
    const first = mint(a, '1');
    const res = await batch([first, mint(a, '5', { linked: true }), { ...first, amount: '2' }]);
    expect(res.body.items.map((o: { reason?: string; status: string }) => o.reason ?? o.status)).toEqual([
      'ok',
      'linked_event_failed',
      'id-reused',
    ]);
    expect(await ctx.balance('user', a)).toMatchObject({ posted: '1' });
  });

  it("names a chain's failing item by its id, after items refused as invalid", async () => {
    const [a, b] = [ctx.name(), ctx.name()];
    await ctx.mint('user', a, '1');
    const move = (amount: string, linked = false) => ({
      id: randomUUID(),
      kind: 'transfer',
      from: { account_type: 'user', account_id: a },
      to: { account_type: 'user', account_id: b },
      amount,
      ...(linked ? { linked: true } : {}),
    });
    const items = [mint(a, '0'), move('1', true), move('5')];
    const res = await batch(items);
    expect(res.body.items.map((o: { reason: string }) => o.reason)).toEqual([
      'invalid',
      'linked_event_failed',
      'insufficient-credits',
    ]);
    expect(res.body.items[1].detail).toMatch(`linked item ${items[2].id} failed (insufficient-credits)`);
  });
});
