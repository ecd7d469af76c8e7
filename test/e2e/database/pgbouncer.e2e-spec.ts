import { verifyReceiptChain } from '@tally/receipts';
import { spawnServer, waitForExit } from '../../support/built-server';
import { runCli } from '../../support/cli';
import { OwnPgBouncer } from '../../support/own-pgbouncer';
import { ReceiptsCtx } from '../../support/receipts-ctx';
import { createServerDatabase, TestDatabase } from '../../support/test-database';
import { startTestApp } from '../../support/test-app';

/**
 * Tally behind PgBouncer, as production runs it: a pooler of the test's own in front of a
 * database of the test's own on the Postgres server (whichever database the suite runs on:
 * the pooler needs a server). In transaction mode the pooler has fewer server connections
 * than the app has client connections, so transactions of one client connection do run on
 * different server connections.
 */
describe.each([
  { poolMode: 'session' as const, poolSize: 12, appPool: '6' },
  { poolMode: 'transaction' as const, poolSize: 3, appPool: '6' },
])('behind PgBouncer in $poolMode mode', ({ poolMode, poolSize, appPool }) => {
  let server: TestDatabase & { url: string };
  let bouncer: OwnPgBouncer;
  let db: TestDatabase;
  beforeAll(async () => {
    server = await createServerDatabase();
    bouncer = await OwnPgBouncer.start(server.url, { poolMode, poolSize });
    const name = new URL(server.url).pathname.slice(1);
    db = {
      env: { DATABASE_URL: bouncer.url(name), DATABASE_POOL_SIZE: appPool, DATABASE_POOL_MODE: poolMode },
      drop: async () => undefined,
    };
  });
  afterAll(async () => {
    await bouncer?.close();
    await server?.drop();
  });

  it('migrates, runs a job lifecycle to receipts and a sealed batch, and ledger verify passes', async () => {
    // Two replicas starting at once serialise their migrations on the lock, through the pooler too.
    const replicas = await Promise.all([startTestApp({}, db), startTestApp({}, db)]);
    for (const replica of replicas) await replica.close();
    const t = await startTestApp({ SCHEDULER_ENABLED: 'false', SETTLEMENT_ENABLED: 'false' }, db);
    try {
      const ctx = new ReceiptsCtx(t);
      const client = await ctx.fundedClient('10');
      const prover = await ctx.workingProver();
      const ids: string[] = [];
      // Several lifecycles side by side: the app's connections share the pooler's.
      await Promise.all(
        [0, 1, 2].map(async () => {
          const id = await ctx.running(client.key, [prover], { max_cost_micros: 2_000_000 });
          await ctx.report(id, prover.key, { success: true, final_cost_micros: 1_000_000 }).expect(201);
          ids.push(id);
        }),
      );
      expect(await ctx.balance('user', client.name)).toMatchObject({ posted: '7', pending: '0', available: '7' });
      expect(await ctx.balance('provider', prover.name)).toMatchObject({ posted: '2.7' });
      expect(await ctx.totals()).toEqual({ posted: '0', pending: '0' });
      for (const id of ids) {
        const chain = await ctx.settledChain(id, 'AUDITED');
        expect(verifyReceiptChain(chain, await ctx.keys())).toMatchObject({ valid: true, length: 3 });
      }

      const sealed = await t.http().post('/v1/settlement/batches').set(ctx.admin()).expect(201);
      expect(sealed.body).toMatchObject({ sealed: true, batch: { batch_no: 1, transfer_count: 10 } });
    } finally {
      await t.close();
    }

    const verified = await runCli(db.env, 'ledger', 'verify');
    expect(verified.stdout + verified.stderr).toMatch(/ledger OK/);
    expect(verified.stdout + verified.stderr).toMatch(/settlement OK/);
    expect(verified.code).toBe(0);
  }, 240_000);
});

describe('behind PgBouncer in transaction mode with DATABASE_POOL_MODE left at session', () => {
  it('refuses to start with one message saying why and what to set, exit 1, no stack', async () => {
    const server = await createServerDatabase();
    const bouncer = await OwnPgBouncer.start(server.url, { poolMode: 'transaction', poolSize: 3 });
    try {
      const app = spawnServer({
        DATABASE_URL: bouncer.url(new URL(server.url).pathname.slice(1)),
        DATABASE_POOL_SIZE: '4',
        DATABASE_CONNECT_ATTEMPTS: '1',
      });
      expect((await waitForExit(app, 120_000)).code).toBe(1);
      const stderr = app.stderr().trim();
      expect(stderr.split('\n')).toHaveLength(1);
      expect(stderr).toContain('connection pooler in transaction mode');
      expect(stderr).toContain('Set DATABASE_POOL_MODE=transaction, or set the pooler to session mode');
      expect(app.stdout() + stderr).not.toMatch(/^\s+at /m);
    } finally {
      await bouncer.close();
      await server.drop();
    }
  }, 180_000);
});
