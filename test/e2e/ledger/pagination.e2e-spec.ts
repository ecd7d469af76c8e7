import { randomUUID } from 'node:crypto';
import { LedgerCtx } from '../../support/ledger-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

describe('transaction history', () => {
  let t: TestApp;
  let ctx: LedgerCtx;
  beforeAll(async () => {
    t = await startTestApp();
    ctx = new LedgerCtx(t);
  });
  afterAll(() => t.close());

  const page = (query: Record<string, string | number>) =>
    t.http().get('/v1/credits/transactions').query(query).set(ctx.admin()).expect(200);

  it('pages newest first without losing or repeating a transfer while new ones arrive', async () => {
    const u = ctx.name('pg');
    for (let i = 0; i < 45; i++) await ctx.mint('user', u, `${i + 1}`);
    const existing = new Set<string>(
      (
        await t.dataSource.query(
          `SELECT DISTINCT e.transfer_id::text AS id FROM entries e JOIN accounts a ON a.id = e.account_id
         WHERE a.kind = 'user' AND a.owner_id = $1`,
          [u],
        )
      ).map((r: { id: string }) => r.id),
    );

    const seen: string[] = [];
    let cursor: string | undefined;
    let writer = Promise.resolve();
    do {
      const res = await page({ account_type: 'user', account_id: u, limit: 7, ...(cursor ? { cursor } : {}) });
      seen.push(...res.body.items.map((i: { transfer_id: string }) => i.transfer_id));
      const seqs = res.body.items.map((i: { sequence: string }) => BigInt(i.sequence));
      expect([...seqs].sort((a, b) => (a > b ? -1 : 1))).toEqual(seqs);
      cursor = res.body.next_cursor ?? undefined;
      // New transfers land between pages.
      writer = writer.then(() => ctx.mint('user', u, '0.5').then(() => undefined));
    } while (cursor);
    await writer;

    expect(new Set(seen).size).toBe(seen.length);
    for (const id of existing) expect(seen).toContain(id);
  });

  it('filters by kind, job, time range and account, and rejects bad cursors and limits', async () => {
    const u = ctx.name('f');
    const job = `job-${randomUUID().slice(0, 8)}`;
    await ctx.mint('user', u, '5');
    await ctx.mint('platform', 'main', '1');
    const start = new Date().toISOString();
    await t
      .http()
      .post('/v1/credits/reward')
      .set(ctx.admin())
      .set('Idempotency-Key', randomUUID())
      .send({ prover_id: u, amount: '0.25', job_id: job })
      .expect(201);
    const byJob = await page({ job_id: job });
    expect(byJob.body.items).toHaveLength(1);
    expect(byJob.body.items[0]).toMatchObject({ kind: 'reward', job_id: job, amount: '0.25' });
    const byKind = await page({ kind: 'reward', from: start });
    expect(byKind.body.items.every((i: { kind: string }) => i.kind === 'reward')).toBe(true);
    expect(byKind.body.items.map((i: { job_id: string }) => i.job_id)).toContain(job);
    // `reason` is the same filter under another name.
    const byReason = await page({ reason: 'reward', from: start });
    expect(byReason.body.items).toEqual(byKind.body.items);
    const before = await page({ account_type: 'user', account_id: u, to: start });
    expect(before.body.items.map((i: { kind: string }) => i.kind)).toEqual(['mint']);

    for (const query of [
      { limit: 501 },
      { limit: 0 },
      // Only plain digits: Number() would read these as 100, 5 and 5.
      { limit: '1e2' },
      { limit: ' 5' },
      { limit: '5.0' },
      { cursor: 'nonsense' },
      // A real cursor with a stray character: base64url decoding would skip it.
      { cursor: `${Buffer.from('seq:45').toString('base64url')}x` },
      // Well-formed, but past int64: no seq can be that large.
      { cursor: Buffer.from('seq:9223372036854775808').toString('base64url') },
      { kind: 'gift' },
      { reason: 'gift' },
      { kind: 'mint', reason: 'reward' },
      { from: 'later' },
      { account_type: 'user' },
    ]) {
      const res = await t.http().get('/v1/credits/transactions').query(query).set(ctx.admin()).expect(400);
      expect(res.body.code).toBe('DSE-001');
    }
    const one = byJob.body.items[0].transfer_id;
    const single = await t.http().get(`/v1/credits/transactions/${one}`).set(ctx.admin()).expect(200);
    expect(single.body.transfer_id).toBe(one);
    await t.http().get(`/v1/credits/transactions/${randomUUID()}`).set(ctx.admin()).expect(404);
    await t.http().get('/v1/credits/transactions/not-a-uuid').set(ctx.admin()).expect(400);
  });
});
