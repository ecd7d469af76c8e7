import { randomUUID } from 'node:crypto';
import { LedgerVerifier } from '@tally/ledger';
import { LedgerCtx, microsOf } from '../../support/ledger-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

type Headers = Record<string, string>;

describe('payouts', () => {
  let t: TestApp;
  let ctx: LedgerCtx;
  beforeAll(async () => {
    t = await startTestApp();
    ctx = new LedgerCtx(t);
    await ctx.mint('platform', 'main', '1000');
  });
  afterAll(() => t.close());

  /** A prover with its own key, rewarded `earned` credits by the platform. */
  const earningProver = async (earned: string): Promise<{ id: string; key: Headers }> => {
    const id = ctx.name('p');
    await t
      .http()
      .post('/v1/credits/reward')
      .set(ctx.admin())
      .set('Idempotency-Key', randomUUID())
      .send({ prover_id: id, amount: earned })
      .expect(201);
    return { id, key: await ctx.newKey('prover', id) };
  };
  const request = (proverId: string, auth: Headers, body: object, key: string = randomUUID()) =>
    t.http().post(`/v1/provers/${proverId}/payouts`).set(auth).set('Idempotency-Key', key).send(body);
  const confirm = (proverId: string, payoutId: string, externalRef: string, auth: Headers = ctx.admin()) =>
    t.http().post(`/v1/provers/${proverId}/payouts/${payoutId}/confirm`).set(auth).send({ external_ref: externalRef });
  const fail = (proverId: string, payoutId: string, reason: string, auth: Headers = ctx.admin()) =>
    t.http().post(`/v1/provers/${proverId}/payouts/${payoutId}/fail`).set(auth).send({ reason });
  /** An account's balance in micros. */
  const micros = async (type: string, id: string) => {
    const b = await ctx.balance(type, id);
    return { posted: microsOf(b.posted), pending: microsOf(b.pending), available: microsOf(b.available) };
  };
  const incomingOfPayout = async () => {
    const res = await t.http().get('/v1/credits/accounts/payout/main').set(ctx.admin()).expect(200);
    return { posted: microsOf(res.body.balance.posted), incoming: microsOf(res.body.balance.incoming) };
  };
  const verified = async () => expect((await t.app.get(LedgerVerifier).verify()).problems).toEqual([]);

  // docs/economics.md, "Payouts": every number of its worked example.
  it('pays out the worked example of docs/economics.md to the micro', async () => {
    const p = await earningProver('12.5');
    expect(await micros('provider', p.id)).toEqual({ posted: 12_500_000n, pending: 0n, available: 12_500_000n });
    const payoutBefore = await incomingOfPayout();

    // 1. The prover asks for 7.25 credits: held toward the payout account, pending.
    const first = await request(p.id, p.key, { amount: '7.25' }).expect(201);
    expect(first.body).toMatchObject({
      prover_id: p.id,
      amount: '7.25',
      amount_micros: '7250000',
      status: 'pending',
      external_ref: null,
      reason: null,
      resolved_at: null,
    });
    expect(await micros('provider', p.id)).toEqual({ posted: 12_500_000n, pending: 7_250_000n, available: 5_250_000n });
    expect(await incomingOfPayout()).toEqual({
      posted: payoutBefore.posted,
      incoming: payoutBefore.incoming + 7_250_000n,
    });

    // 2. An admin confirms it: the hold is captured into the payout account.
    const confirmed = await confirm(p.id, first.body.payout_id, 'wire-0042').expect(200);
    expect(confirmed.body).toMatchObject({ status: 'confirmed', external_ref: 'wire-0042', amount_micros: '7250000' });
    expect(await micros('provider', p.id)).toEqual({ posted: 5_250_000n, pending: 0n, available: 5_250_000n });
    expect(await incomingOfPayout()).toEqual({
      posted: payoutBefore.posted + 7_250_000n,
      incoming: payoutBefore.incoming,
    });

    // 3. The rest, 5.25, is asked for and fails: the prover has it again.
    const second = await request(p.id, p.key, { amount: '5.25' }).expect(201);
    expect(await micros('provider', p.id)).toEqual({ posted: 5_250_000n, pending: 5_250_000n, available: 0n });
    const failed = await fail(p.id, second.body.payout_id, 'bank account closed').expect(200);
    expect(failed.body).toMatchObject({ status: 'failed', reason: 'bank account closed', external_ref: null });
    expect(await micros('provider', p.id)).toEqual({ posted: 5_250_000n, pending: 0n, available: 5_250_000n });

    // 4. One micro more than available is refused (DSE-008), and nothing moves.
    const transfers = await ctx.transferCount();
    const over = await request(p.id, p.key, { amount: '5.250001' }).expect(402);
    expect(over.body.code).toBe('DSE-008');
    expect(await ctx.transferCount()).toBe(transfers);
    expect(await micros('provider', p.id)).toEqual({ posted: 5_250_000n, pending: 0n, available: 5_250_000n });
    expect(await incomingOfPayout()).toEqual({
      posted: payoutBefore.posted + 7_250_000n,
      incoming: payoutBefore.incoming,
    });

    // The prover sees both, newest first.
    const list = await t.http().get(`/v1/provers/${p.id}/payouts`).set(p.key).expect(200);
    expect(list.body.items.map((x: { payout_id: string; status: string }) => [x.payout_id, x.status])).toEqual([
      [second.body.payout_id, 'failed'],
      [first.body.payout_id, 'confirmed'],
    ]);
    expect(await ctx.totals()).toEqual({ posted: '0', pending: '0' });
    await verified();
  });

  it('answers a replayed request, confirm or fail as the first time, and refuses every second move (DSE-010)', async () => {
    const p = await earningProver('10');
    const key = randomUUID();
    const made = await request(p.id, p.key, { amount: '4' }, key).expect(201);
    const again = await request(p.id, p.key, { amount: '4' }, key).expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(made.body);
    expect((await request(p.id, p.key, { amount: '5' }, key).expect(409)).body.code).toBe('DSE-009');
    expect(await micros('provider', p.id)).toMatchObject({ pending: 4_000_000n, available: 6_000_000n });

    const id = made.body.payout_id;
    const once = await confirm(p.id, id, 'ref-1').expect(200);
    const twice = await confirm(p.id, id, 'ref-1').expect(200);
    expect(twice.headers['idempotent-replayed']).toBe('true');
    expect(twice.body).toEqual(once.body);
    const other = await confirm(p.id, id, 'ref-2').expect(409);
    expect(other.body).toMatchObject({ code: 'DSE-010', from: 'confirmed', to: 'confirmed' });
    expect((await fail(p.id, id, 'too late').expect(409)).body).toMatchObject({
      code: 'DSE-010',
      from: 'confirmed',
      to: 'failed',
    });

    const second = (await request(p.id, p.key, { amount: '6' }).expect(201)).body.payout_id;
    const failed = await fail(p.id, second, 'no route').expect(200);
    expect((await fail(p.id, second, 'no route').expect(200)).body).toEqual(failed.body);
    expect((await fail(p.id, second, 'another').expect(409)).body.code).toBe('DSE-010');
    expect((await confirm(p.id, second, 'ref-3').expect(409)).body).toMatchObject({
      code: 'DSE-010',
      from: 'failed',
      to: 'confirmed',
    });
    expect(await micros('provider', p.id)).toEqual({ posted: 6_000_000n, pending: 0n, available: 6_000_000n });

    // A refused request is kept under its key too: the same answer again, and still nothing moves.
    const refusedKey = randomUUID();
    expect((await request(p.id, p.key, { amount: '7' }, refusedKey).expect(402)).body.code).toBe('DSE-008');
    const refusedAgain = await request(p.id, p.key, { amount: '7' }, refusedKey).expect(402);
    expect(refusedAgain.headers['idempotent-replayed']).toBe('true');
    expect(await micros('provider', p.id)).toEqual({ posted: 6_000_000n, pending: 0n, available: 6_000_000n });
    await verified();
  });

  it('settles exactly one of a confirm and a fail racing on one payout', async () => {
    const p = await earningProver('3');
    for (let round = 0; round < 3; round++) {
      const id = (await request(p.id, p.key, { amount: '1' }).expect(201)).body.payout_id;
      const [c, f] = await Promise.all([confirm(p.id, id, `race-${round}`), fail(p.id, id, 'race')]);
      expect([c.status, f.status].sort()).toEqual([200, 409]);
      const winner = c.status === 200 ? 'confirmed' : 'failed';
      const state = await t.http().get(`/v1/provers/${p.id}/payouts?limit=1`).set(p.key).expect(200);
      expect(state.body.items[0]).toMatchObject({ payout_id: id, status: winner });
      const hold = await t.http().get(`/v1/credits/holds/${state.body.items[0].hold_id}`).set(ctx.admin()).expect(200);
      expect(hold.body.status).toBe(winner === 'confirmed' ? 'captured' : 'voided');
    }
    const b = await micros('provider', p.id);
    expect(b.pending).toBe(0n);
    expect(await ctx.totals()).toEqual({ posted: '0', pending: '0' });
    await verified();
  });

  it('refuses the wrong role and another prover, and changes nothing', async () => {
    const p = await earningProver('5');
    const other = await earningProver('5');
    const client = await ctx.newKey('client', ctx.name('c'));
    const id = (await request(p.id, p.key, { amount: '1' }).expect(201)).body.payout_id;
    const before = { transfers: await ctx.transferCount(), p: await micros('provider', p.id) };

    expect((await request(p.id, client, { amount: '1' }).expect(403)).body.code).toBe('DSE-002');
    expect((await request(p.id, other.key, { amount: '1' }).expect(403)).body.code).toBe('DSE-002');
    await t.http().get(`/v1/provers/${p.id}/payouts`).set(other.key).expect(403);
    await t.http().get(`/v1/provers/${p.id}/payouts`).set(client).expect(403);
    await t.http().get('/v1/admin/payouts').set(p.key).expect(403);
    await confirm(p.id, id, 'mine', p.key).expect(403);
    await fail(p.id, id, 'mine', p.key).expect(403);
    await confirm(p.id, id, 'x', client).expect(403);
    // A payout named under another prover is not found (DSE-015), nor is an unknown one.
    expect((await confirm(other.id, id, 'x').expect(404)).body.code).toBe('DSE-015');
    expect((await fail(p.id, randomUUID(), 'x').expect(404)).body.code).toBe('DSE-015');

    expect(await ctx.transferCount()).toBe(before.transfers);
    expect(await micros('provider', p.id)).toEqual(before.p);
    const mine = await t.http().get(`/v1/provers/${p.id}/payouts`).set(ctx.admin()).expect(200);
    expect(mine.body.items).toEqual([expect.objectContaining({ payout_id: id, status: 'pending' })]);
  });

  it('refuses bad input with DSE-001, and changes nothing', async () => {
    const p = await earningProver('5');
    const id = (await request(p.id, p.key, { amount: '1' }).expect(201)).body.payout_id;
    const before = { transfers: await ctx.transferCount(), p: await micros('provider', p.id) };
    for (const body of [
      {},
      { amount: '0' },
      { amount: '-1' },
      { amount: '1.0000001' },
      { amount: 1 },
      { amount: '1', x: 1 },
    ]) {
      const res = await request(p.id, p.key, body);
      expect([JSON.stringify(body), res.status, res.body.code]).toEqual([JSON.stringify(body), 400, 'DSE-001']);
    }
    const noKey = await t.http().post(`/v1/provers/${p.id}/payouts`).set(p.key).send({ amount: '1' });
    expect([noKey.status, noKey.body.code]).toEqual([400, 'DSE-001']);
    const admin = ctx.admin();
    for (const res of [
      await t.http().post(`/v1/provers/${p.id}/payouts/${id}/confirm`).set(admin).send({}),
      await t.http().post(`/v1/provers/${p.id}/payouts/${id}/confirm`).set(admin).send({ external_ref: '' }),
      await t
        .http()
        .post(`/v1/provers/${p.id}/payouts/${id}/confirm`)
        .set(admin)
        .send({ external_ref: 'x'.repeat(256) }),
      await t.http().post(`/v1/provers/${p.id}/payouts/${id}/confirm`).set(admin).send({ external_ref: 'a\nb' }),
      await t.http().post(`/v1/provers/${p.id}/payouts/${id}/fail`).set(admin).send({ reason: '   ' }),
      await t
        .http()
        .post(`/v1/provers/${p.id}/payouts/${id}/fail`)
        .set(admin)
        .send({ reason: 'r'.repeat(513) }),
      await t.http().post(`/v1/provers/${p.id}/payouts/not-a-uuid/fail`).set(admin).send({ reason: 'r' }),
      await t.http().get(`/v1/provers/${p.id}/payouts?status=paid`).set(admin),
      await t.http().get(`/v1/provers/${p.id}/payouts?cursor=bm9wZQ`).set(admin),
      await t.http().get('/v1/admin/payouts?limit=0').set(admin),
    ]) {
      expect([res.status, res.body.code]).toEqual([400, 'DSE-001']);
    }
    expect(await ctx.transferCount()).toBe(before.transfers);
    expect(await micros('provider', p.id)).toEqual(before.p);
    const still = await t.http().get(`/v1/provers/${p.id}/payouts`).set(admin).expect(200);
    expect(still.body.items).toEqual([expect.objectContaining({ payout_id: id, status: 'pending' })]);
  });

  it('moves the payout account by payouts only: a transfer, capture, void or batch item naming it is refused', async () => {
    const p = await earningProver('5');
    const payout = (await request(p.id, p.key, { amount: '2' }).expect(201)).body;
    const before = {
      transfers: await ctx.transferCount(),
      p: await micros('provider', p.id),
      out: await incomingOfPayout(),
    };
    const admin = ctx.admin();
    const post = (path: string, body: object) =>
      t.http().post(path).set(admin).set('Idempotency-Key', randomUUID()).send(body);
    const payoutRef = { account_type: 'payout', account_id: 'main' };
    const providerRef = { account_type: 'provider', account_id: p.id };
    for (const res of [
      await post('/v1/credits/transfer', { from: providerRef, to: payoutRef, amount: '1' }),
      await post('/v1/credits/transfer', { from: payoutRef, to: providerRef, amount: '1' }),
      await post('/v1/credits/transfer', {
        entries: [
          { ...providerRef, side: 'debit', amount: '1' },
          { ...payoutRef, side: 'credit', amount: '1' },
        ],
      }),
      await post(`/v1/credits/holds/${payout.hold_id}/capture`, { amount: '2' }),
      await post(`/v1/credits/holds/${payout.hold_id}/capture`, { amount: '2', to: payoutRef }),
      await post(`/v1/credits/holds/${payout.hold_id}/void`, {}),
      await post('/v1/credits/mint', { ...payoutRef, amount: '1' }),
      await post('/v1/credits/holds', { ...payoutRef, amount: '1' }),
    ]) {
      expect([res.status, res.body.code]).toEqual([400, 'DSE-001']);
    }
    const batch = await ctx
      .batch([{ kind: 'transfer', id: randomUUID(), from: providerRef, to: payoutRef, amount: '1' }])
      .expect(200);
    expect(batch.body.items[0]).toMatchObject({ status: 'rejected', reason: 'reserved-account', code: 'DSE-001' });

    expect(await ctx.transferCount()).toBe(before.transfers);
    expect(await micros('provider', p.id)).toEqual(before.p);
    expect(await incomingOfPayout()).toEqual(before.out);
    // The payout is still pending, and still confirms.
    await confirm(p.id, payout.payout_id, 'after-all').expect(200);
    await verified();
  });

  it('lists payouts owed to an admin in keyset pages, logs admin moves, and seals them into settlement batches', async () => {
    const p = await earningProver('9');
    const ids: string[] = [];
    for (const amount of ['1', '2', '3']) ids.push((await request(p.id, p.key, { amount }).expect(201)).body.payout_id);
    const confirmed = (await confirm(p.id, ids[0], 'batch-ref').expect(200)).body;

    const owed: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { items: { payout_id: string; status: string }[]; next_cursor: string | null } } = await t
        .http()
        .get('/v1/admin/payouts')
        .query({ status: 'pending', limit: '1', ...(cursor ? { cursor } : {}) })
        .set(ctx.admin())
        .expect(200);
      for (const item of res.body.items) {
        expect(item.status).toBe('pending');
        owed.push(item.payout_id);
      }
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(owed.filter((id) => ids.includes(id))).toEqual([ids[2], ids[1]]);

    const log = await t
      .http()
      .get('/v1/admin/control-log')
      .query({ action: 'payouts.confirm' })
      .set(ctx.admin())
      .expect(200);
    expect(log.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: 'payouts.confirm',
          outcome: 'ok',
          fields: expect.objectContaining({ body: { external_ref: 'batch-ref' } }),
        }),
      ]),
    );

    // An admin's refused request and refused confirm are logged as rejected, with their codes.
    await request(p.id, ctx.admin(), { amount: '100' }).expect(402);
    await confirm(p.id, ids[0], 'another-ref').expect(409);
    for (const [action, code] of [
      ['payouts.request', 'DSE-008'],
      ['payouts.confirm', 'DSE-010'],
    ]) {
      const rows = await t
        .http()
        .get('/v1/admin/control-log')
        .query({ action, outcome: 'rejected' })
        .set(ctx.admin())
        .expect(200);
      expect(rows.body.items.map((r: { error_code: string }) => r.error_code)).toContain(code);
    }

    // The capture is an ordinary transfer: the next sealed batch holds it, with a proof.
    const captures = await t
      .http()
      .get('/v1/credits/transactions')
      .query({ account_type: 'provider', account_id: p.id, kind: 'capture' })
      .set(ctx.admin())
      .expect(200);
    const capture = captures.body.items.find((x: { hold_id: string }) => x.hold_id === confirmed.hold_id);
    expect(capture.entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ account_type: 'provider', account_id: p.id, side: 'debit', amount: '1' }),
        expect.objectContaining({ account_type: 'payout', account_id: 'main', side: 'credit', amount: '1' }),
      ]),
    );
    const sealed = await t.http().post('/v1/settlement/batches').set(ctx.admin()).send({}).expect(201);
    const n = sealed.body.batch.batch_no;
    await t
      .http()
      .get(`/v1/settlement/batches/${n}/proofs/transfers/${capture.transfer_id}`)
      .set(ctx.admin())
      .expect(200);
    await verified();
  });
});
