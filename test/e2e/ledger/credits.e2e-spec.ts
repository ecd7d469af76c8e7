import { randomUUID } from 'node:crypto';
import { LedgerCtx, microsOf } from '../../support/ledger-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

describe('credits API', () => {
  let t: TestApp;
  let ctx: LedgerCtx;
  beforeAll(async () => {
    t = await startTestApp();
    ctx = new LedgerCtx(t);
  });
  afterAll(() => t.close());

  it('takes `prover` for the provider account wherever an account type is given, and answers `provider`', async () => {
    const prover = ctx.name('p');
    const minted = await ctx.mint('prover', prover, '3');
    expect(minted.body.entries).toContainEqual(
      expect.objectContaining({ account_type: 'provider', account_id: prover, side: 'credit', amount: '3' }),
    );
    const byRole = await t.http().get(`/v1/credits/accounts/prover/${prover}`).set(ctx.admin()).expect(200);
    const byKind = await t.http().get(`/v1/credits/accounts/provider/${prover}`).set(ctx.admin()).expect(200);
    expect(byRole.body).toEqual(byKind.body);
    expect(byRole.body).toMatchObject({ account_type: 'provider', account_id: prover });
    expect((await ctx.balance('provider', prover)).posted).toBe('3');
    // Anything else is still refused, naming the kinds it takes.
    const wrong = await t.http().get(`/v1/credits/accounts/provers/${prover}`).set(ctx.admin()).expect(400);
    expect(wrong.body).toMatchObject({ code: 'DSE-001' });
  });

  it('mints, spends, rewards and transfers with every balance exact to the micro', async () => {
    const alice = ctx.name('alice');
    const bob = ctx.name('bob');
    const prover = ctx.name('p');

    const minted = await ctx.mint('user', alice, '100.000001');
    expect(minted.body).toMatchObject({
      kind: 'mint',
      amount: '100.000001',
      entries: [
        { account_type: 'issuance', account_id: 'main', side: 'debit', amount: '100.000001' },
        { account_type: 'user', account_id: alice, side: 'credit', amount: '100.000001' },
      ],
    });
    expect(minted.body.balances).toContainEqual(
      expect.objectContaining({
        account_type: 'user',
        account_id: alice,
        posted: '100.000001',
        available: '100.000001',
      }),
    );

    const aliceKey = await ctx.newKey('client', alice);
    const platform0 = await ctx.balance('platform', 'main');
    const spent = await t
      .http()
      .post('/v1/credits/spend')
      .set(aliceKey)
      .set('Idempotency-Key', randomUUID())
      .send({ amount: '2.5', memo: 'a job' })
      .expect(201);
    expect(spent.body.kind).toBe('spend');
    expect(spent.body.balances).toContainEqual(
      expect.objectContaining({ account_type: 'user', account_id: alice, posted: '97.500001', pending: '0' }),
    );
    const platform1 = await ctx.balance('platform', 'main');
    expect(microsOf(platform1.posted) - microsOf(platform0.posted)).toBe(2_500_000n);

    await t
      .http()
      .post('/v1/credits/reward')
      .set(ctx.admin())
      .set('Idempotency-Key', randomUUID())
      .send({ prover_id: prover, amount: '1.25', job_id: 'job-1' })
      .expect(201);
    expect((await ctx.balance('provider', prover)).posted).toBe('1.25');

    const multi = await t
      .http()
      .post('/v1/credits/transfer')
      .set(ctx.admin())
      .set('Idempotency-Key', randomUUID())
      .send({
        entries: [
          { account_type: 'user', account_id: alice, side: 'debit', amount: '10' },
          { account_type: 'user', account_id: bob, side: 'credit', amount: '7.5' },
          { account_type: 'provider', account_id: prover, side: 'credit', amount: '2.5' },
        ],
      })
      .expect(201);
    expect(multi.body.entries).toHaveLength(3);
    expect((await ctx.balance('user', alice)).posted).toBe('87.500001');
    expect((await ctx.balance('user', bob)).posted).toBe('7.5');
    expect((await ctx.balance('provider', prover)).posted).toBe('3.75');

    await t
      .http()
      .post('/v1/credits/transfer')
      .set(ctx.admin())
      .set('Idempotency-Key', randomUUID())
      .send({
        from: { account_type: 'user', account_id: bob },
        to: { account_type: 'user', account_id: alice },
        amount: '0.5',
      })
      .expect(201);
    expect((await ctx.balance('user', bob)).posted).toBe('7');
    expect(await ctx.totals()).toEqual({ posted: '0', pending: '0' });
  });

  it('answers 402 for insufficient credits and writes nothing', async () => {
    const u = ctx.name();
    await ctx.mint('user', u, '1');
    const key = await ctx.newKey('client', u);
    const before = await ctx.transferCount();
    const res = await t
      .http()
      .post('/v1/credits/spend')
      .set(key)
      .set('Idempotency-Key', randomUUID())
      .send({ amount: '1.000001' })
      .expect(402);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.code).toBe('DSE-008');
    expect(await ctx.transferCount()).toBe(before);
    expect(await ctx.balance('user', u)).toMatchObject({ posted: '1', available: '1' });
  });

  it('debiting an account that does not exist is DSE-011; reading one is 404 DSE-011', async () => {
    const ghost = ctx.name('ghost');
    const res = await t
      .http()
      .post('/v1/credits/transfer')
      .set(ctx.admin())
      .set('Idempotency-Key', randomUUID())
      .send({
        from: { account_type: 'user', account_id: ghost },
        to: { account_type: 'platform', account_id: 'main' },
        amount: '1',
      })
      .expect(404);
    expect(res.body.code).toBe('DSE-011');
    const read = await t.http().get(`/v1/credits/accounts/user/${ghost}`).set(ctx.admin()).expect(404);
    expect(read.body.code).toBe('DSE-011');
  });

  it('replays an idempotency key with the original answer, and refuses it for a different request', async () => {
    const u = ctx.name();
    const key = randomUUID();
    const first = await t
      .http()
      .post('/v1/credits/mint')
      .set(ctx.admin())
      .set('Idempotency-Key', key)
      .send({ account_type: 'user', account_id: u, amount: '5' })
      .expect(201);
    const again = await t
      .http()
      .post('/v1/credits/mint')
      .set(ctx.admin())
      .set('Idempotency-Key', key)
      .send({ amount: '5', account_id: u, account_type: 'user' })
      .expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect((await ctx.balance('user', u)).posted).toBe('5');

    const conflict = await t
      .http()
      .post('/v1/credits/mint')
      .set(ctx.admin())
      .set('Idempotency-Key', key)
      .send({ account_type: 'user', account_id: u, amount: '6' })
      .expect(409);
    expect(conflict.body.code).toBe('DSE-009');
    expect((await ctx.balance('user', u)).posted).toBe('5');
  });

  it('records a DSE-008 outcome so a retry after funding still answers 402', async () => {
    const u = ctx.name();
    await ctx.mint('user', u, '1');
    const key = await ctx.newKey('client', u);
    const idem = randomUUID();
    const spend = () => t.http().post('/v1/credits/spend').set(key).set('Idempotency-Key', idem).send({ amount: '3' });
    expect((await spend()).status).toBe(402);
    await ctx.mint('user', u, '10');
    const retry = await spend();
    expect(retry.status).toBe(402);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect((await ctx.balance('user', u)).posted).toBe('11');
  });

  it('settles once when many requests race with one key', async () => {
    const u = ctx.name();
    const key = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        t
          .http()
          .post('/v1/credits/mint')
          .set(ctx.admin())
          .set('Idempotency-Key', key)
          .send({ account_type: 'user', account_id: u, amount: '1' }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(201));
    expect(new Set(results.map((r) => r.body.transfer_id)).size).toBe(1);
    expect((await ctx.balance('user', u)).posted).toBe('1');
  });

  it('scopes idempotency keys to the caller', async () => {
    const a = ctx.name();
    const b = ctx.name();
    await ctx.mint('user', a, '5');
    await ctx.mint('user', b, '5');
    const idem = randomUUID();
    for (const who of [a, b]) {
      const key = await ctx.newKey('client', who);
      await t.http().post('/v1/credits/spend').set(key).set('Idempotency-Key', idem).send({ amount: '1' }).expect(201);
    }
    expect((await ctx.balance('user', a)).posted).toBe('4');
    expect((await ctx.balance('user', b)).posted).toBe('4');
  });

  it.each([
    ['more than 6 decimals', '1.0000001'],
    ['zero', '0'],
    ['negative', '-1'],
    ['not a number', 'abc'],
    ['a JSON number', 5],
    ['exponent notation', '1e3'],
    ['beyond int64', '9223372036855'],
    ['leading zeros', '01'],
    ['empty', ''],
  ])('rejects an amount that is %s with DSE-001 and writes nothing', async (_what, amount) => {
    const before = await ctx.transferCount();
    const res = await t
      .http()
      .post('/v1/credits/mint')
      .set(ctx.admin())
      .set('Idempotency-Key', randomUUID())
      .send({ account_type: 'user', account_id: 'x', amount })
      .expect(400);
    expect(res.body.code).toBe('DSE-001');
    expect(await ctx.transferCount()).toBe(before);
  });

  it('requires an Idempotency-Key on every mutation, and validates bodies', async () => {
    const noKey = await t
      .http()
      .post('/v1/credits/mint')
      .set(ctx.admin())
      .send({ account_type: 'user', account_id: 'x', amount: '1' })
      .expect(400);
    expect(noKey.body.code).toBe('DSE-001');
    const long = await t
      .http()
      .post('/v1/credits/mint')
      .set(ctx.admin())
      .set('Idempotency-Key', 'k'.repeat(256))
      .send({ account_type: 'user', account_id: 'x', amount: '1' })
      .expect(400);
    expect(long.body.code).toBe('DSE-001');
    const unknown = await t
      .http()
      .post('/v1/credits/mint')
      .set(ctx.admin())
      .set('Idempotency-Key', randomUUID())
      .send({ account_type: 'user', account_id: 'x', amount: '1', extra: true })
      .expect(400);
    expect(unknown.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'extra' })]));
    await t
      .http()
      .post('/v1/credits/mint')
      .set(ctx.admin())
      .set('Idempotency-Key', randomUUID())
      .send({ account_type: 'issuance', account_id: 'main', amount: '1' })
      .expect(400);
    await t
      .http()
      .post('/v1/credits/mint')
      .set(ctx.admin())
      .set('Idempotency-Key', randomUUID())
      .send({ account_type: 'user', account_id: 'x', amount: '1', memo: 'm'.repeat(513) })
      .expect(400);
    await t
      .http()
      .post('/v1/credits/mint')
      .set(ctx.admin())
      .set('Idempotency-Key', randomUUID())
      .send({ account_type: 'user', account_id: 'x', amount: '1', metadata: { blob: 'x'.repeat(17 * 1024) } })
      .expect(400);
    const unbalanced = await t
      .http()
      .post('/v1/credits/transfer')
      .set(ctx.admin())
      .set('Idempotency-Key', randomUUID())
      .send({
        entries: [
          { account_type: 'user', account_id: 'x', side: 'debit', amount: '1' },
          { account_type: 'user', account_id: 'y', side: 'credit', amount: '0.9' },
        ],
      })
      .expect(400);
    expect(unbalanced.body.code).toBe('DSE-001');
  });

  it('lets clients and provers touch only their own accounts', async () => {
    const u = ctx.name();
    const other = ctx.name();
    await ctx.mint('user', u, '3');
    await ctx.mint('user', other, '3');
    const key = await ctx.newKey('client', u);
    await t.http().get(`/v1/credits/accounts/user/${u}`).set(key).expect(200);
    expect((await t.http().get(`/v1/credits/accounts/user/${other}`).set(key).expect(403)).body.code).toBe('DSE-002');
    await t.http().post('/v1/credits/mint').set(key).set('Idempotency-Key', randomUUID()).send({}).expect(403);
    await t
      .http()
      .post('/v1/credits/spend')
      .set(key)
      .set('Idempotency-Key', randomUUID())
      .send({ amount: '1', account_id: other })
      .expect(403);
    const prover = await ctx.newKey('prover', 'p-x');
    await t
      .http()
      .post('/v1/credits/spend')
      .set(prover)
      .set('Idempotency-Key', randomUUID())
      .send({ amount: '1' })
      .expect(403);
    const list = await t.http().get('/v1/credits/transactions').set(key).expect(200);
    for (const item of list.body.items) {
      expect(item.entries.some((e: { account_id: string }) => e.account_id === u)).toBe(true);
    }
    expect(list.body.items.length).toBeGreaterThan(0);
    const otherTx = await t
      .http()
      .get('/v1/credits/transactions')
      .query({ account_type: 'user', account_id: other })
      .set(ctx.admin())
      .expect(200);
    await t.http().get(`/v1/credits/transactions/${otherTx.body.items[0].transfer_id}`).set(key).expect(404);
  });

  /** A user's account as the admin reads it at a moment. */
  const asOf = (user: string, at: string) =>
    t.http().get(`/v1/credits/accounts/user/${user}`).query({ as_of: at }).set(ctx.admin());

  it('gives the balance as of a past moment', async () => {
    const u = ctx.name();
    await ctx.mint('user', u, '10');
    await new Promise((r) => setTimeout(r, 30));
    const between = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 30));
    await ctx.mint('user', u, '5');
    const now = await t.http().get(`/v1/credits/accounts/user/${u}`).set(ctx.admin()).expect(200);
    expect(now.body.balance.posted).toBe('15');
    expect(now.body.recent_transactions).toHaveLength(2);
    const past = await asOf(u, between).expect(200);
    expect(past.body.balance.posted).toBe('10');
    expect(past.body.recent_transactions).toHaveLength(1);
    const before = await asOf(u, '2000-01-01T00:00:00Z').expect(200);
    expect(before.body.balance.posted).toBe('0');
    await asOf(u, 'yesterday').expect(400);
    // Not rolled over into March 2.
    const impossible = await asOf(u, '2026-02-30').expect(400);
    expect(impossible.body.code).toBe('DSE-001');
  });

  it("as of a transfer's own created_at, the balance includes it (times are shown to the millisecond)", async () => {
    const u = ctx.name();
    await ctx.mint('user', u, '10');
    const second = (await ctx.mint('user', u, '5')).body;
    const at = await asOf(u, second.created_at).expect(200);
    expect(at.body.balance.posted).toBe('15');
    expect(at.body.recent_transactions.map((r: { transfer_id: string }) => r.transfer_id)).toContain(
      second.transfer_id,
    );
    const justBefore = new Date(new Date(second.created_at).getTime() - 1).toISOString();
    const before = await asOf(u, justBefore).expect(200);
    // The first mint may share the millisecond before; the second is not in it.
    expect(before.body.recent_transactions.map((r: { transfer_id: string }) => r.transfer_id)).not.toContain(
      second.transfer_id,
    );
  });

  it('creates an account once per Idempotency-Key: a replay answers as before, another request under it is DSE-009', async () => {
    const u = ctx.name();
    const create = (key: string, metadata: Record<string, unknown>) =>
      t
        .http()
        .post('/v1/credits/accounts')
        .set(ctx.admin())
        .set('Idempotency-Key', key)
        .send({ account_type: 'user', account_id: u, metadata });
    const key = randomUUID();
    // Racing copies of one request: one creates, the others replay its answer.
    const racing = await Promise.all(Array.from({ length: 8 }, () => create(key, { tier: 'gold' })));
    expect(racing.map((r) => r.status)).toEqual(Array(8).fill(201));
    expect(racing.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(7);
    expect(racing.every((r) => r.body.metadata.tier === 'gold')).toBe(true);

    const other = await create(key, { tier: 'silver' }).expect(409);
    expect(other.body.code).toBe('DSE-009');
    // Under a new key the account exists already: 200, unchanged.
    const again = await create(randomUUID(), { tier: 'silver' }).expect(200);
    expect(again.headers['idempotent-replayed']).toBeUndefined();
    expect(again.body.metadata).toEqual({ tier: 'gold' });
    // The key stands for that request on that route only.
    const mint = await t
      .http()
      .post('/v1/credits/mint')
      .set(ctx.admin())
      .set('Idempotency-Key', key)
      .send({ account_type: 'user', account_id: u, amount: '1' })
      .expect(409);
    expect(mint.body.code).toBe('DSE-009');
    expect(await ctx.balance('user', u)).toMatchObject({ posted: '0' });
  });

  it('keeps metadata as sent, keys named like Object.prototype members included', async () => {
    const metadata = { toString: 'a', valueOf: 1, hasOwnProperty: true, note: { toJSON: 'x' } };
    const minted = await t
      .http()
      .post('/v1/credits/mint')
      .set(ctx.admin())
      .set('Idempotency-Key', randomUUID())
      .send({ account_type: 'user', account_id: ctx.name('meta'), amount: '1', metadata })
      .expect(201);
    const id = minted.body.transfer_id ?? minted.body.id;
    const stored = await t.http().get(`/v1/credits/transactions/${id}`).set(ctx.admin()).expect(200);
    expect(stored.body.metadata).toEqual(metadata);
  });
});
