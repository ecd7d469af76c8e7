import { randomUUID } from 'node:crypto';
import { LedgerVerifier } from '@tally/ledger';
import { LedgerCtx, microsOf } from '../../../support/ledger-ctx';
import { startTestApp, TestApp } from '../../../support/test-app';

describe('POST /v1/credits/transfers/batch', () => {
  let t: TestApp;
  let ctx: LedgerCtx;
  beforeAll(async () => {
    t = await startTestApp();
    ctx = new LedgerCtx(t);
  });
  afterAll(() => t.close());

  const batch = (items: unknown[], auth = ctx.admin()) => ctx.batch(items, auth);
  const mint = (account: string, amount: string, extra: Record<string, unknown> = {}) => ({
    id: randomUUID(),
    kind: 'mint',
    account_type: 'user',
    account_id: account,
    amount,
    ...extra,
  });
  const move = (from: string, to: string, amount: string, extra: Record<string, unknown> = {}) => ({
    id: randomUUID(),
    kind: 'transfer',
    from: { account_type: 'user', account_id: from },
    to: { account_type: 'user', account_id: to },
    amount,
    ...extra,
  });
  const verified = async () => expect((await t.app.get(LedgerVerifier).verify()).problems).toEqual([]);

  it('applies items in order against the balances earlier items leave, one outcome each', async () => {
    const [a, b] = [ctx.name(), ctx.name()];
    const items = [mint(a, '10'), move(a, b, '4'), move(a, b, '7'), move(b, a, '4')];
    const res = await batch(items).expect(200);
    expect(res.body).toMatchObject({ posted: 3, rejected: 1 });
    expect(res.body.items.map((o: { status: string }) => o.status)).toEqual(['ok', 'ok', 'rejected', 'ok']);
    expect(res.body.items[2]).toMatchObject({
      index: 2,
      id: items[2].id,
      code: 'DSE-008',
      reason: 'insufficient-credits',
    });
    expect(res.body.items[0]).toMatchObject({ transfer_id: items[0].id, replayed: false });
    const seqs = res.body.items.filter((o: { seq?: string }) => o.seq).map((o: { seq: string }) => BigInt(o.seq));
    expect([...seqs].sort((x, y) => (x < y ? -1 : 1))).toEqual(seqs);
    expect(await ctx.balance('user', a)).toMatchObject({ posted: '10' });
    expect(await ctx.balance('user', b)).toMatchObject({ posted: '0' });
    await verified();
  });

  it("writes each posted item's event, as a single posting's", async () => {
    const [a, b] = [ctx.name(), ctx.name()];
    const items = [mint(a, '2'), move(a, b, '1.5', { job_id: 'job-7' })];
    const res = await batch(items).expect(200);
    const rows: { partition_key: string; payload: Record<string, unknown> }[] = await t.dataSource.query(
      `SELECT partition_key, payload FROM outbox WHERE payload->>'transfer_id' = $1`,
      [items[1].id],
    );
    expect(rows).toEqual([
      {
        partition_key: 'job-7',
        payload: {
          transfer_id: items[1].id,
          seq: res.body.items[1].seq,
          kind: 'transfer',
          amount: '1500000',
          hold_id: null,
          job_id: 'job-7',
          prover_id: null,
          legs: [
            { account_type: 'user', account_id: a, side: 'D', phase: 'posted', amount: '1500000' },
            { account_type: 'user', account_id: b, side: 'C', phase: 'posted', amount: '1500000' },
          ],
        },
      },
    ]);
  });

  it('posts a linked chain whole or not at all; one failure fails its chain only', async () => {
    const [a, b] = [ctx.name(), ctx.name()];
    await ctx.mint('user', a, '5');
    const items = [
      move(a, b, '2', { linked: true }),
      move(b, a, '1', { linked: true }),
      move(a, b, '100'), // overdraws: the chain fails
      move(a, b, '1'), // unlinked neighbour: posts
      move(a, b, '1', { linked: true }),
      move(b, a, '1'), // a chain that holds
    ];
    const res = await batch(items).expect(200);
    expect(res.body.items.map((o: { status: string; reason?: string }) => o.reason ?? o.status)).toEqual([
      'linked_event_failed',
      'linked_event_failed',
      'insufficient-credits',
      'ok',
      'ok',
      'ok',
    ]);
    expect(res.body.items[0].detail).toContain(`linked item ${items[2].id} failed (insufficient-credits)`);
    expect(await ctx.balance('user', a)).toMatchObject({ posted: '4' });
    expect(await ctx.balance('user', b)).toMatchObject({ posted: '1' });
    await verified();
  });

  it('fails a chain left open at the end, and a chain with an invalid member, writing nothing of them', async () => {
    const [a, b] = [ctx.name(), ctx.name()];
    await ctx.mint('user', a, '5');
    const before = await ctx.transferCount();
    const res = await batch([
      move(a, b, '1', { linked: true }),
      { ...move(a, b, '1', { linked: true }), amount: '-1' },
      move(a, b, '1'),
      move(a, b, '1', { linked: true }),
    ]).expect(200);
    expect(res.body.items.map((o: { reason: string }) => o.reason)).toEqual([
      'linked_event_failed',
      'invalid',
      'linked_event_failed',
      'linked_event_chain_open',
    ]);
    expect(res.body.items[1]).toMatchObject({ code: 'DSE-001' });
    expect(await ctx.transferCount()).toBe(before);
  });

  it('places, captures and voids holds named by their item ids within one batch', async () => {
    const a = ctx.name();
    const [h1, h2] = [randomUUID(), randomUUID()];
    const res = await batch([
      mint(a, '10'),
      { id: h1, kind: 'hold', account_type: 'user', account_id: a, amount: '6' },
      { id: randomUUID(), kind: 'capture', hold_id: h1, amount: '2.5' },
      { id: h2, kind: 'hold', account_type: 'user', account_id: a, amount: '3' },
      { id: randomUUID(), kind: 'void', hold_id: h2 },
      { id: randomUUID(), kind: 'void', hold_id: h2 }, // already voided
    ]).expect(200);
    expect(res.body.items.map((o: { reason?: string; status: string }) => o.reason ?? o.status)).toEqual([
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
      'hold-not-open',
    ]);
    expect(await ctx.balance('user', a)).toMatchObject({ posted: '7.5', pending: '0', available: '7.5' });
    const hold = await t.http().get(`/v1/credits/holds/${h1}`).set(ctx.admin()).expect(200);
    expect(hold.body).toMatchObject({ status: 'captured', captured: '2.5' });
    await verified();
  });

  it('replays a whole batch: identical outcomes, flagged, and nothing written', async () => {
    const [a, b] = [ctx.name(), ctx.name()];
    const items = [mint(a, '3'), move(a, b, '2', { linked: true }), move(a, b, '5'), move(a, b, '1')];
    const first = await batch(items).expect(200);
    const count = await ctx.transferCount();
    // This batch's events only: sealing and outbox cleanup run meanwhile and move the others.
    const events = async () =>
      (
        await t.dataSource.query(`SELECT count(*)::int AS n FROM outbox WHERE payload->>'transfer_id' = ANY($1)`, [
          items.map((i) => i.id),
        ])
      )[0].n;
    const outbox = await events();
    expect(outbox).toBe(2); // the mint and the last move; the chain failed
    const again = await batch(items).expect(200);
    const strip = (o: Record<string, unknown>) => ({ ...o, replayed: undefined });
    expect(again.body.items.map(strip)).toEqual(first.body.items.map(strip));
    expect(again.body.items.every((o: { replayed: boolean }) => o.replayed)).toBe(true);
    expect(await ctx.transferCount()).toBe(count);
    expect(await events()).toBe(outbox);
  });

  it('refuses an id reused with another body (DSE-009), and one taken by another caller', async () => {
    const a = ctx.name();
    const item = mint(a, '1');
    await batch([item]).expect(200);
    const res = await batch([{ ...item, amount: '2' }]).expect(200);
    expect(res.body.items[0]).toMatchObject({ status: 'rejected', code: 'DSE-009', reason: 'id-reused' });
    const other = await ctx.newKey('admin', ctx.name('admin'));
    const stolen = await batch([item], other).expect(200);
    expect(stolen.body.items[0]).toMatchObject({ status: 'rejected', code: 'DSE-009', reason: 'id-already-used' });
    expect(await ctx.balance('user', a)).toMatchObject({ posted: '1' });
  });

  it('imports history with its own times, in order only, for admins only', async () => {
    const a = ctx.name();
    const last = (await t.dataSource.query(`SELECT last_created_at FROM ledger_import_watermark`))[0].last_created_at;
    const base = Math.max(Date.parse('2020-01-01T00:00:00Z'), last ? new Date(last).getTime() + 1000 : 0);
    const at = (s: number) => new Date(base + s * 1000).toISOString();
    const res = await batch([
      mint(a, '5', { imported: true, created_at: at(10) }),
      mint(a, '1', { imported: true, created_at: at(5) }), // earlier than the one before
      mint(a, '1', { imported: true }), // no created_at
      mint(a, '1', { created_at: at(20) }), // created_at without imported
      mint(a, '2', { imported: true, created_at: at(10) }),
    ]).expect(200);
    expect(res.body.items.map((o: { reason?: string; status: string }) => o.reason ?? o.status)).toEqual([
      'ok',
      'import-out-of-order',
      'invalid',
      'invalid',
      'ok',
    ]);
    const tx = await t.http().get(`/v1/credits/transactions/${res.body.items[0].transfer_id}`).set(ctx.admin());
    expect(tx.body.created_at).toBe(at(10));
    const client = await ctx.newKey('client', a);
    const denied = await batch([move(a, ctx.name(), '1', { imported: true, created_at: at(30) })], client).expect(200);
    expect(denied.body.items[0]).toMatchObject({ code: 'DSE-002', reason: 'forbidden' });
    await verified();
  });

  it('lets a client move only its own credits', async () => {
    const [a, b] = [ctx.name(), ctx.name()];
    await ctx.mint('user', a, '5');
    await ctx.mint('user', b, '5');
    const client = await ctx.newKey('client', a);
    const res = await batch(
      [
        move(a, b, '1'),
        move(b, a, '1'),
        mint(a, '1'),
        { id: randomUUID(), kind: 'hold', account_type: 'user', account_id: a, amount: '1' },
        { ...move(a, b, '1'), to: { account_type: 'escrow', account_id: 'main' } },
      ],
      client,
    ).expect(200);
    expect(res.body.items.map((o: { reason?: string; status: string }) => o.reason ?? o.status)).toEqual([
      'ok',
      'forbidden',
      'forbidden',
      'ok',
      'forbidden',
    ]);
    const prover = await ctx.newKey('prover', ctx.name('p'));
    await batch([move(a, b, '1')], prover).expect(403);
    expect(microsOf((await ctx.balance('user', b)).posted)).toBe(6_000_000n);
  });

  it('refuses more than 8,190 items, and an empty or malformed batch, naming the limit', async () => {
    const over = await batch(Array.from({ length: 8191 }, () => mint('x', '1'))).expect(400);
    expect(over.body.code).toBe('DSE-001');
    expect(over.body.detail).toContain('8190');
    await batch([]).expect(400);
    await t.http().post('/v1/credits/transfers/batch').set(ctx.admin()).send({ items: 'x' }).expect(400);
    const odd = await batch([42, null, 'x', { kind: 'mint' }]).expect(200);
    expect(odd.body.items.every((o: { code: string }) => o.code === 'DSE-001')).toBe(true);
  });

  it('posts 8,190 items in one request', async () => {
    const hot = ctx.name('hot');
    const users = Array.from({ length: 10 }, () => ctx.name());
    await batch(users.map((u) => mint(u, '10000'))).expect(200);
    const items = Array.from({ length: 8190 }, (_, i) => move(users[i % users.length], hot, '0.01'));
    const res = await batch(items).expect(200);
    expect(res.body).toMatchObject({ posted: 8190, rejected: 0 });
    expect(await ctx.balance('user', hot)).toMatchObject({ posted: '81.9' });
    await verified();
  });
});
