import { LedgerCtx } from '../../support/ledger-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

describe('admin account search', () => {
  let t: TestApp;
  let ctx: LedgerCtx;
  beforeAll(async () => {
    t = await startTestApp({ SCHEDULER_ENABLED: 'false' });
    ctx = new LedgerCtx(t);
  });
  afterAll(() => t.close());

  const search = (query: Record<string, string>, key = ctx.admin()) =>
    t.http().get('/v1/admin/accounts').query(query).set(key);

  /** Every page of a search, following next_cursor. */
  async function all(query: Record<string, string>): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let cursor: string | undefined;
    do {
      const page = await search({ ...query, ...(cursor ? { cursor } : {}) }).expect(200);
      items.push(...page.body.items);
      cursor = page.body.next_cursor ?? undefined;
    } while (cursor);
    return items;
  }

  it('lists accounts by type and id prefix, page by page, each as its own GET shows it', async () => {
    const prefix = ctx.name('srch');
    const users = ['b2', 'a1', 'x_1', 'xa1', 'c3'].map((s) => `${prefix}-${s}`);
    for (const [i, user] of users.entries()) await ctx.mint('user', user, String(i + 1));
    await ctx.mint('provider', `${prefix}-p1`, '7');
    await ctx.mint('user', `other-${prefix}`, '1'); // the prefix is where the id starts, not anywhere in it

    const found = await all({ account_type: 'user', id_prefix: prefix, limit: '2' });
    // Ordered byte by byte: '_' (0x5f) before 'a' (0x61).
    expect(found.map((a) => a.account_id)).toEqual([...users].sort((a, b) => (a < b ? -1 : 1)));
    for (const account of found) {
      const { body } = await t
        .http()
        .get(`/v1/credits/accounts/user/${account.account_id as string}`)
        .set(ctx.admin())
        .expect(200);
      const { recent_transactions: _, ...shown } = body;
      expect(account).toEqual(shown);
    }
    expect(found.find((a) => a.account_id === `${prefix}-c3`)).toMatchObject({ balance: { posted: '5' } });

    // '_' is a character like any other, not a wildcard.
    expect((await all({ id_prefix: `${prefix}-x_` })).map((a) => a.account_id)).toEqual([`${prefix}-x_1`]);
    // Both kinds, provider before user; the role's name for the provider kind works too.
    const both = await all({ id_prefix: prefix });
    expect(both.map((a) => `${a.account_type as string}/${a.account_id as string}`)).toEqual([
      `provider/${prefix}-p1`,
      ...found.map((a) => `user/${a.account_id as string}`),
    ]);
    expect((await all({ account_type: 'prover', id_prefix: prefix })).map((a) => a.account_id)).toEqual([
      `${prefix}-p1`,
    ]);
    // The system accounts are accounts too.
    expect((await all({ account_type: 'escrow' })).map((a) => a.account_id)).toEqual(['main']);
    const none = await search({ id_prefix: `${prefix}-zzz` }).expect(200);
    expect(none.body).toEqual({ items: [], next_cursor: null });
  });

  it('refuses bad parameters (DSE-001) and keys that are not admin', async () => {
    for (const query of <Record<string, string>[]>[
      { account_type: 'bogus' },
      { id_prefix: 'a%' },
      { id_prefix: '' },
      { id_prefix: 'x'.repeat(129) },
      { limit: '0' },
      { limit: '501' },
      { cursor: 'garbage!' },
      { cursor: Buffer.from('user').toString('base64url') },
      { cursor: Buffer.from('bogus/alice').toString('base64url') },
      { cursor: Buffer.from('prover/alice').toString('base64url') },
      { cursor: Buffer.from('escrow/alice').toString('base64url') },
    ]) {
      const res = await search(query);
      expect([query, res.status, res.body.code]).toEqual([query, 400, 'DSE-001']);
    }
    const client = await ctx.newKey('client', ctx.name('client'));
    await search({}, client).expect(403);
  });
});
