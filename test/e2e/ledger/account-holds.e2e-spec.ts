import { randomUUID } from 'node:crypto';
import { JobsCtx } from '../../support/jobs-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

describe("an account's holds", () => {
  let t: TestApp;
  let ctx: JobsCtx;
  beforeAll(async () => {
    t = await startTestApp({ SCHEDULER_ENABLED: 'false' });
    ctx = new JobsCtx(t);
  });
  afterAll(() => t.close());

  const post = (path: string, body: Record<string, unknown>) =>
    t.http().post(path).set(ctx.admin()).set('Idempotency-Key', randomUUID()).send(body);
  const holdsOf = (type: string, id: string, key: Record<string, string>, query: Record<string, string> = {}) =>
    t.http().get(`/v1/credits/accounts/${type}/${id}/holds`).query(query).set(key);

  /** Every page, following next_cursor. */
  async function all(type: string, id: string, query: Record<string, string> = {}) {
    const items: { id: string; status: string }[] = [];
    let cursor: string | undefined;
    do {
      const page = await holdsOf(type, id, ctx.admin(), { ...query, ...(cursor ? { cursor } : {}) }).expect(200);
      items.push(...page.body.items);
      cursor = page.body.next_cursor ?? undefined;
    } while (cursor);
    return items;
  }

  it('lists them newest first, page by page, each as its GET shows it, filtered by status', async () => {
    const client = await ctx.fundedClient('20');
    const placed: string[] = [];
    for (const amount of ['1', '2', '3', '4']) {
      const res = await post('/v1/credits/holds', { account_type: 'user', account_id: client.name, amount }).expect(
        201,
      );
      placed.push(res.body.transfer_id);
    }
    await post(`/v1/credits/holds/${placed[0]}/capture`, { amount: '0.5' }).expect(201);
    await post(`/v1/credits/holds/${placed[1]}/void`, {}).expect(201);
    // A job's hold is one of the account's holds too.
    const job = (await ctx.submit(client.key, { max_cost_micros: 1_500_000 }).expect(201)).body.network_job_id;

    const holds = await all('user', client.name, { limit: '2' });
    expect(holds).toHaveLength(5);
    expect(holds.slice(1).map((h) => h.id)).toEqual([...placed].reverse());
    for (const hold of holds) {
      expect(hold).toEqual((await t.http().get(`/v1/credits/holds/${hold.id}`).set(ctx.admin()).expect(200)).body);
    }
    expect(holds[0]).toMatchObject({ job_id: job, amount: '1.5', status: 'pending', debit_owner: client.name });
    expect(holds.find((h) => h.id === placed[0])).toMatchObject({ status: 'captured', captured: '0.5' });

    const pending = await all('user', client.name, { status: 'pending' });
    expect(pending.map((h) => h.id)).toEqual([holds[0].id, placed[3], placed[2]]);
    expect((await all('user', client.name, { status: 'voided' })).map((h) => h.id)).toEqual([placed[1]]);
    // The account's own key sees them; escrow, the side every hold credits, lists them too.
    const own = await holdsOf('user', client.name, client.key).expect(200);
    expect(own.body.items.map((h: { id: string }) => h.id)).toEqual(holds.map((h) => h.id));
    const escrow = (await all('escrow', 'main')).map((h) => h.id);
    expect(escrow).toEqual(expect.arrayContaining(holds.map((h) => h.id)));
    // A fresh account has none.
    const empty = await ctx.fundedClient('1');
    expect((await holdsOf('user', empty.name, empty.key).expect(200)).body).toEqual({ items: [], next_cursor: null });
  });

  it("refuses another's account, unknown accounts and bad parameters", async () => {
    const owner = await ctx.fundedClient('1');
    const other = await ctx.fundedClient('1');
    const prover = await ctx.prover();
    await holdsOf('user', owner.name, other.key).expect(403);
    await holdsOf('user', owner.name, prover.key).expect(403);
    const unknown = await holdsOf('user', ctx.name('nobody'), ctx.admin());
    expect([unknown.status, unknown.body.code]).toEqual([404, 'DSE-011']);
    const id = randomUUID();
    for (const query of <Record<string, string>[]>[
      { status: 'open' },
      { limit: '0' },
      { cursor: 'garbage!' },
      { cursor: Buffer.from(`2026-01-01T00:00:00.000000Z|not-a-uuid-${'x'.repeat(25)}`).toString('base64url') },
      { cursor: Buffer.from(`0000-01-01T00:00:00.000000Z|${id}`).toString('base64url') },
      { cursor: Buffer.from(`2026-02-30T00:00:00.000000Z|${id}`).toString('base64url') },
      { cursor: Buffer.from(`2026-01-01T00:00:00.000Z|${id}`).toString('base64url') },
    ]) {
      const res = await holdsOf('user', owner.name, ctx.admin(), query);
      expect([query, res.status, res.body.code]).toEqual([query, 400, 'DSE-001']);
    }
    const badType = await holdsOf('bogus', owner.name, ctx.admin());
    expect([badType.status, badType.body.code]).toEqual([400, 'DSE-001']);
  });
});
