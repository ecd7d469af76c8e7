import { randomUUID } from 'node:crypto';
import { LedgerVerifier } from '@tally/ledger';
import { LedgerCtx } from '../../../support/ledger-ctx';
import { startTestApp, TestApp } from '../../../support/test-app';

/** The tables a posting writes to: a replay must add to none of them. */
const TABLES = ['transfers', 'entries', 'outbox', 'idempotency_keys', 'holds', 'accounts'] as const;

interface Outcome {
  index: number;
  id: string;
  status: string;
  reason?: string;
  replayed: boolean;
}

describe('POST /v1/credits/transfers/batch replayed whole', () => {
  let t: TestApp;
  let ctx: LedgerCtx;
  beforeAll(async () => {
    t = await startTestApp({ SETTLEMENT_ENABLED: 'false' });
    ctx = new LedgerCtx(t);
  });
  afterAll(() => t.close());

  const batch = (items: unknown[]) => ctx.batch(items).expect(200);
  const counts = async () =>
    Object.fromEntries(
      await Promise.all(
        TABLES.map(async (table) => {
          const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM ${table}`);
          return [table, n] as const;
        }),
      ),
    );
  const user = (id: string) => ({ account_type: 'user', account_id: id });

  /** A batch of every kind and outcome: posted, refused, chains that hold and fail, and one left open. */
  function mixedBatch() {
    const [a, b, c] = [ctx.name(), ctx.name(), ctx.name()];
    const id = () => randomUUID();
    const move = (from: string, to: string, amount: string, linked = false) => ({
      id: id(),
      kind: 'transfer',
      from: user(from),
      to: user(to),
      amount,
      ...(linked ? { linked: true } : {}),
    });
    const hold = (from: string, amount: string, linked = false) => ({
      id: id(),
      kind: 'hold',
      ...user(from),
      amount,
      ...(linked ? { linked: true } : {}),
    });
    const [h1, h2, h3, h4] = [hold(a, '3'), hold(b, '2', true), hold(a, '1'), hold(c, '500')];
    const items: Record<string, unknown>[] = [
      { id: id(), kind: 'mint', ...user(a), amount: '20' },
      { id: id(), kind: 'mint', ...user(b), amount: '10.5' },
      { id: id(), kind: 'mint', account_type: 'prover', account_id: ctx.name('p'), amount: '1' },
      move(a, b, '4'),
      move(b, c, '100'), // overdraws
      move(ctx.name('ghost'), a, '1'), // from an account that does not exist
      h1,
      { id: id(), kind: 'capture', hold_id: h1.id, amount: '1.25', to: user(c) },
      { id: id(), kind: 'void', hold_id: h1.id }, // captured already
      h2, // a chain that holds: hold, transfer, capture
      move(a, c, '2', true),
      { id: id(), kind: 'capture', hold_id: h2.id, amount: '2' },
      h3,
      { id: id(), kind: 'capture', hold_id: h3.id, amount: '5' }, // beyond the hold
      { id: id(), kind: 'void', hold_id: h3.id },
      { id: id(), kind: 'void', hold_id: randomUUID() }, // no such hold
      move(c, a, '0.5', true), // a chain that fails on its last item
      move(a, b, '1', true),
      h4,
      ...Array.from({ length: 30 }, (_, i) => move(i % 2 ? a : b, i % 3 ? c : i % 2 ? b : a, `0.0${(i % 9) + 1}`)),
      move(b, a, '1', true), // the batch ends inside a chain
      move(a, b, '1', true),
    ];
    return items;
  }

  it('answers a replay of a mixed batch with the same outcomes, each flagged replayed, and writes no row', async () => {
    const items = mixedBatch();
    const first = await batch(items);
    const reasons = (first.body.items as Outcome[]).map((o) => o.reason ?? o.status);
    // The batch reaches every outcome it is meant to.
    expect(new Set(reasons)).toEqual(
      new Set([
        'ok',
        'insufficient-credits',
        'unknown-account',
        'hold-not-open',
        'capture-exceeds-hold',
        'unknown-hold',
        'linked_event_failed',
        'linked_event_chain_open',
      ]),
    );
    expect((first.body.items as Outcome[]).some((o) => o.replayed)).toBe(false);
    const before = await counts();

    for (let again = 0; again < 2; again++) {
      const replay = await batch(items);
      expect(replay.body.items).toEqual((first.body.items as Outcome[]).map((o) => ({ ...o, replayed: true })));
      expect({ posted: replay.body.posted, rejected: replay.body.rejected }).toEqual({
        posted: first.body.posted,
        rejected: first.body.rejected,
      });
      expect(await counts()).toEqual(before);
    }
    expect((await t.app.get(LedgerVerifier).verify()).problems).toEqual([]);
  });

  it('replays a batch sent twice at once: one posts, the other answers the same, nothing twice', async () => {
    const items = mixedBatch();
    const before = await counts();
    const [x, y] = await Promise.all([batch(items), batch(items)]);
    const flags = [x, y].map((r) => (r.body.items as Outcome[]).every((o) => o.replayed));
    expect(flags.sort()).toEqual([false, true]);
    const strip = (o: Outcome) => ({ ...o, replayed: undefined });
    expect(y.body.items.map(strip)).toEqual(x.body.items.map(strip));
    const after = await counts();
    // A replay of it now adds nothing to what the pair wrote.
    await batch(items);
    expect(await counts()).toEqual(after);
    expect(after.transfers - before.transfers).toBe(x.body.posted);
    expect((await t.app.get(LedgerVerifier).verify()).problems).toEqual([]);
  });
});
