import { randomUUID } from 'node:crypto';
import { LedgerCtx, microsOf } from '../../support/ledger-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

describe('ledger under concurrency', () => {
  let t: TestApp;
  let ctx: LedgerCtx;
  beforeAll(async () => {
    t = await startTestApp();
    ctx = new LedgerCtx(t);
  });
  afterAll(() => t.close());

  it('50 parallel clients spending from one account funded for N spends: exactly N succeed, never below 0', async () => {
    const u = ctx.name('hot');
    const N = 17;
    await ctx.mint('user', u, (N * 0.25).toFixed(2)); // 4.25 credits, 17 spends of 0.25
    const key = await ctx.newKey('client', u);
    const platformBefore = await ctx.balance('platform', 'main');

    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        t.http().post('/v1/credits/spend').set(key).set('Idempotency-Key', randomUUID()).send({ amount: '0.25' }),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(N);
    expect(statuses.filter((s) => s === 402)).toHaveLength(50 - N);
    for (const r of results.filter((r) => r.status === 402)) expect(r.body.code).toBe('DSE-008');

    expect(await ctx.balance('user', u)).toMatchObject({ posted: '0', pending: '0', available: '0' });
    const platformAfter = await ctx.balance('platform', 'main');
    expect(microsOf(platformAfter.posted) - microsOf(platformBefore.posted)).toBe(BigInt(N) * 250_000n);
    expect(await ctx.totals()).toEqual({ posted: '0', pending: '0' });
    // No response ever showed the account below zero.
    for (const r of results.filter((r) => r.status === 201)) {
      const mine = r.body.balances.find((b: { account_id: string }) => b.account_id === u);
      expect(microsOf(mine.available)).toBeGreaterThanOrEqual(0n);
    }
  });

  it('many accounts transferring to each other in parallel keep every invariant', async () => {
    const users = Array.from({ length: 6 }, () => ctx.name('ring'));
    for (const u of users) await ctx.mint('user', u, '10');
    const requests = Array.from({ length: 120 }, (_, i) => {
      const from = users[i % users.length];
      const to = users[(i * 7 + 3) % users.length];
      return t
        .http()
        .post('/v1/credits/transfer')
        .set(ctx.admin())
        .set('Idempotency-Key', randomUUID())
        .send({
          entries: [
            { account_type: 'user', account_id: from, side: 'debit', amount: '1.5' },
            { account_type: 'user', account_id: to, side: 'credit', amount: '1' },
            { account_type: 'platform', account_id: 'main', side: 'credit', amount: '0.5' },
          ],
        });
    });
    const results = await Promise.all(requests);
    expect(results.every((r) => r.status === 201 || r.status === 402)).toBe(true);
    let total = 0n;
    for (const u of users) {
      const b = await ctx.balance('user', u);
      expect(microsOf(b.available)).toBeGreaterThanOrEqual(0n);
      total += microsOf(b.posted);
    }
    const posted = results.filter((r) => r.status === 201).length;
    expect(total).toBe(60_000_000n - BigInt(posted) * 500_000n);
    expect(await ctx.totals()).toEqual({ posted: '0', pending: '0' });
    const verify = await t.app.get((await import('@tally/ledger')).LedgerVerifier).verify();
    expect(verify.problems).toEqual([]);
  });
});
