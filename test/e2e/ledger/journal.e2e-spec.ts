import { randomUUID } from 'node:crypto';
import { LedgerVerifier } from '@tally/ledger';
import { LedgerCtx } from '../../support/ledger-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

describe('the journal', () => {
  let t: TestApp;
  let ctx: LedgerCtx;
  beforeAll(async () => {
    t = await startTestApp();
    ctx = new LedgerCtx(t);
  });
  afterAll(() => t.close());

  it('rejects UPDATE and DELETE of entries and transfers', async () => {
    await ctx.mint('user', ctx.name(), '1');
    await expect(t.dataSource.query(`UPDATE entries SET amount = amount + 1`)).rejects.toThrow(/append-only/);
    await expect(t.dataSource.query(`DELETE FROM entries`)).rejects.toThrow(/append-only/);
    await expect(t.dataSource.query(`UPDATE transfers SET memo = 'x'`)).rejects.toThrow(/append-only/);
    await expect(t.dataSource.query(`DELETE FROM transfers`)).rejects.toThrow(/append-only/);
  });

  it('verify passes on a busy ledger and names the account whose cached balance was altered', async () => {
    const users = Array.from({ length: 5 }, () => ctx.name('busy'));
    await Promise.all(users.map((u) => ctx.mint('user', u, '50')));
    const holds: string[] = [];
    await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        const u = users[i % users.length];
        const kind = i % 3;
        if (kind === 0) {
          await t
            .http()
            .post('/v1/credits/reward')
            .set(ctx.admin())
            .set('Idempotency-Key', randomUUID())
            .send({ prover_id: `p-${i % 4}`, amount: '0.1' });
          return;
        }
        const res = await t
          .http()
          .post(kind === 1 ? '/v1/credits/holds' : '/v1/credits/transfer')
          .set(ctx.admin())
          .set('Idempotency-Key', randomUUID())
          .send(
            kind === 1
              ? { account_type: 'user', account_id: u, amount: '1.5' }
              : {
                  from: { account_type: 'user', account_id: u },
                  to: { account_type: 'platform', account_id: 'main' },
                  amount: '0.7',
                },
          );
        if (kind === 1 && res.status === 201) holds.push(res.body.transfer_id);
      }),
    );
    await Promise.all(
      holds.map((id, i) =>
        t
          .http()
          .post(`/v1/credits/holds/${id}/${i % 2 ? 'void' : 'capture'}`)
          .set(ctx.admin())
          .set('Idempotency-Key', randomUUID())
          .send(i % 2 ? {} : { amount: '0.5' }),
      ),
    );
    const verifier = t.app.get(LedgerVerifier);
    expect((await verifier.verify()).problems).toEqual([]);

    const victim = users[2];
    await t.dataSource.query(
      `UPDATE accounts SET posted_credits = posted_credits + 1 WHERE kind = 'user' AND owner_id = $1`,
      [victim],
    );
    const report = await verifier.verify();
    expect(report.problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining(`user/${victim}: cached posted_credits`),
        expect.stringContaining('sum to 1, not 0'),
      ]),
    );
  });
});
