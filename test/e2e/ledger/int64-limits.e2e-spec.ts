import { randomUUID } from 'node:crypto';
import { LedgerVerifier } from '@tally/ledger';
import { LedgerCtx } from '../../support/ledger-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

/**
 * Amounts and every account's running totals are BIGINT micros. A posting that would take
 * a transfer's amount or any account's totals past int64 is refused with 400 DSE-001
 * before anything moves, never a 500. (Its own app: these postings leave the issuance
 * account's totals at the limit.)
 */
describe('ledger: the int64 range of amounts and totals', () => {
  let t: TestApp;
  let ctx: LedgerCtx;
  beforeAll(async () => {
    t = await startTestApp();
    ctx = new LedgerCtx(t);
  });
  afterAll(() => t.close());

  const post = (path: string, body: Record<string, unknown>) =>
    t.http().post(path).set(ctx.admin()).set('Idempotency-Key', randomUUID()).send(body);
  const verify = async () => expect((await t.app.get(LedgerVerifier).verify()).problems).toEqual([]);

  it('a transfer whose legs add up past int64 is 400 DSE-001 and writes nothing', async () => {
    const bob = ctx.name();
    const res = await post('/v1/credits/transfer', {
      entries: [
        { account_type: 'issuance', account_id: 'main', side: 'debit', amount: '9000000000000' },
        { account_type: 'issuance', account_id: 'main', side: 'debit', amount: '9000000000000' },
        { account_type: 'user', account_id: bob, side: 'credit', amount: '9000000000000' },
        { account_type: 'user', account_id: bob, side: 'credit', amount: '9000000000000' },
      ],
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'DSE-001', detail: 'the transfer amount is beyond the int64 range' });
    await t.http().get(`/v1/credits/accounts/user/${bob}`).set(ctx.admin()).expect(404);
    await verify();
  });

  it('a mint up to the limit is taken; one past an account total is 400 DSE-001 naming the account, and the next legal one works', async () => {
    const zed = ctx.name();
    await post('/v1/credits/mint', { account_type: 'user', account_id: zed, amount: '9223372036854.775807' }).expect(
      201,
    );
    const past = await post('/v1/credits/mint', { account_type: 'user', account_id: ctx.name(), amount: '1' });
    expect(past.status).toBe(400);
    expect(past.body.code).toBe('DSE-001');
    expect(past.body.detail).toBe('the transfer would take the totals of issuance/main beyond the int64 range');
    // Nothing moved: the account that would have been credited does not exist, the ledger verifies.
    expect((await ctx.balance('user', zed)).posted).toBe('9223372036854.775807');
    await verify();
    // The server is fine: postings that stay within every total go on.
    const alice = ctx.name();
    await post('/v1/credits/transfer', {
      from: { account_type: 'user', account_id: zed },
      to: { account_type: 'user', account_id: alice },
      amount: '5',
    }).expect(201);
    expect((await ctx.balance('user', alice)).posted).toBe('5');
  });

  it('capturing 0 is 400 DSE-001 (releasing a whole hold is a void), and the hold stays pending', async () => {
    const zed = ctx.name();
    await post('/v1/credits/transfer', {
      from: { account_type: 'user', account_id: (await firstRich()) ?? zed },
      to: { account_type: 'user', account_id: zed },
      amount: '10',
    }).expect(201);
    const placed = await post('/v1/credits/holds', { account_type: 'user', account_id: zed, amount: '4' }).expect(201);
    const zero = await post(`/v1/credits/holds/${placed.body.transfer_id}/capture`, { amount: '0' });
    expect(zero.status).toBe(400);
    expect(zero.body.code).toBe('DSE-001');
    expect(await ctx.balance('user', zed)).toMatchObject({ posted: '10', pending: '4', available: '6' });
    await post(`/v1/credits/holds/${placed.body.transfer_id}/void`, {}).expect(201);
    expect(await ctx.balance('user', zed)).toMatchObject({ posted: '10', pending: '0', available: '10' });
  });

  /** The account the limit test minted to (issuance can mint no more here). */
  async function firstRich(): Promise<string | undefined> {
    const [row] = await t.dataSource.query(
      `SELECT owner_id FROM accounts WHERE kind = 'user' ORDER BY posted_credits DESC LIMIT 1`,
    );
    return row?.owner_id;
  }
});
