import { randomUUID } from 'node:crypto';
import { LedgerVerifier, LedgerWriter } from '@tally/ledger';
import { LedgerCtx, microsOf } from '../../support/ledger-ctx';
import { startTestApp, TestApp } from '../../support/test-app';
import { createTestDatabase, TestDatabase } from '../../support/test-database';

/**
 * Batches posted the optimistic way (one statement, from account states the app already
 * knew) meeting writes they did not expect: another app instance on the same database, a
 * replayed key, an account moved by a mint in between. Whatever the path, the answers and
 * the ledger must be exactly those of the locking way.
 */
describe('optimistic batches', () => {
  const server = Boolean(process.env.DATABASE_URL);
  let db: TestDatabase;
  const apps: TestApp[] = [];
  let ctx: LedgerCtx;
  beforeAll(async () => {
    db = await createTestDatabase();
    apps.push(await startTestApp({}, db));
    // Embedded PGlite serves one process; two instances need a Postgres server.
    if (server) apps.push(await startTestApp({ TALLY_ADMIN_KEY: apps[0].adminKey }, db));
    ctx = new LedgerCtx(apps[0]);
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await db.drop();
  });

  const spend = (app: TestApp, key: Record<string, string>, amount: string, idem = randomUUID()) =>
    app.http().post('/v1/credits/spend').set(key).set('Idempotency-Key', idem).send({ amount });

  it('two instances racing on one account funded for N spends: exactly N succeed, exact balances', async () => {
    const u = ctx.name('race');
    const N = 23;
    await ctx.mint('user', u, (N * 0.5).toFixed(1));
    const key = await ctx.newKey('client', u);
    const platformBefore = microsOf((await ctx.balance('platform', 'main')).posted);

    // Warm both instances' account states first, so the race is between optimistic batches.
    for (const app of apps) expect((await spend(app, key, '0.000001')).status).toBe(201);
    await ctx.mint('user', u, (apps.length / 1e6).toFixed(6)); // tops up the warm-up; moves the account behind the instances' back

    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => spend(apps[i % apps.length], key, '0.5')));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(N);
    expect(statuses.filter((s) => s === 402)).toHaveLength(60 - N);
    expect(await ctx.balance('user', u)).toMatchObject({ posted: '0', available: '0' });
    const platformAfter = microsOf((await ctx.balance('platform', 'main')).posted);
    expect(platformAfter - platformBefore).toBe(BigInt(N) * 500_000n + BigInt(apps.length));
    // The successful answers show the balance each spend really left: N-1 × 0.5 down to 0, once each.
    const left = results
      .filter((r) => r.status === 201)
      .map((r) => microsOf(r.body.balances.find((b: { account_id: string }) => b.account_id === u).available))
      .sort((a, b) => (a < b ? -1 : 1));
    expect(left).toEqual(Array.from({ length: N }, (_, k) => BigInt(k) * 500_000n));
    expect((await apps[0].app.get(LedgerVerifier).verify()).problems).toEqual([]);
    const counts = apps.map((app) => app.app.get(LedgerWriter).optimisticBatches);
    expect(counts.every((c) => c.written > 0)).toBe(true);
    // With two instances, each one's first batch after the mint found the account moved.
    if (server) expect(counts.every((c) => c.fellBack > 0)).toBe(true);
  });

  it('answers a replayed key from its record, also when the first answer was optimistic', async () => {
    const u = ctx.name('replay');
    await ctx.mint('user', u, '1');
    const key = await ctx.newKey('client', u);
    const idem = randomUUID();
    const first = await spend(apps[0], key, '0.25', idem);
    expect(first.status).toBe(201);
    for (const app of apps) {
      const again = await spend(app, key, '0.25', idem);
      expect(again.status).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body.transfer_id).toBe(first.body.transfer_id);
      expect((await spend(app, key, '0.5', idem)).body.code).toBe('DSE-009');
    }
    // A refusal is recorded too: the same key stays refused after the account is funded.
    const refusedKey = randomUUID();
    expect((await spend(apps[0], key, '5', refusedKey)).status).toBe(402);
    await ctx.mint('user', u, '10');
    const retried = await spend(apps[apps.length - 1], key, '5', refusedKey);
    expect(retried.status).toBe(402);
    expect(retried.headers['idempotent-replayed']).toBe('true');
    expect(await ctx.balance('user', u)).toMatchObject({ posted: '10.75' });
  });

  it('one key sent many times at once settles once', async () => {
    const u = ctx.name('samekey');
    await ctx.mint('user', u, '1');
    const key = await ctx.newKey('client', u);
    const idem = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => spend(apps[i % apps.length], key, '0.1', idem)),
    );
    expect(results.every((r) => r.status === 201)).toBe(true);
    expect(new Set(results.map((r) => r.body.transfer_id)).size).toBe(1);
    expect(results.filter((r) => r.headers['idempotent-replayed'] !== 'true')).toHaveLength(1);
    expect(await ctx.balance('user', u)).toMatchObject({ posted: '0.9' });
  });
});
