import { randomUUID } from 'node:crypto';
import { OutboxRelay } from '@tally/database';
import { WebhookFollower, WEBHOOKS_CURSOR } from '@tally/webhooks';
import { JobsCtx } from '../../support/jobs-ctx';
import { startTestApp, TestApp } from '../../support/test-app';
import { createTestDatabase, TestDatabase } from '../../support/test-database';
import { Receiver, until } from '../../support/webhook-receiver';

const MINTS = 100;

/**
 * The webhook follower across replicas. On a Postgres server (DATABASE_URL) these are two app
 * instances on one database, each following the outbox on its own timer, plus manual passes
 * on both. Embedded PGlite allows one process per data directory: there it is one instance
 * whose manual passes race its own timer.
 */
describe('webhooks: the outbox follower', () => {
  const server = Boolean(process.env.DATABASE_URL);
  let db: TestDatabase;
  let apps: TestApp[] = [];
  let hook: Receiver;
  beforeAll(async () => {
    db = await createTestDatabase();
    const env = { WEBHOOKS_ALLOW_PRIVATE_URLS: 'true', WEBHOOKS_RETRY_BASE_MS: '20', RATE_LIMIT_MAX: '1000000' };
    apps.push(await startTestApp(env, db));
    if (server) apps.push(await startTestApp({ ...env, TALLY_ADMIN_KEY: apps[0].adminKey }, db));
    hook = await new Receiver().start();
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    apps = [];
    await db.drop();
    await hook.close();
  });

  it(`enqueues each of ${MINTS} racing transfers once, whichever replica follows`, async () => {
    const ctx = new JobsCtx(apps[0]);
    const kim = await ctx.fundedClient('1');
    const created = await apps[0]
      .http()
      .post('/v1/webhooks')
      .set(kim.key)
      .send({ url: hook.url, event_types: ['TransferPosted'] })
      .expect(201);
    const id: string = created.body.webhook_id;

    let minting = true;
    const racers = apps.map(async (t) => {
      const follower = t.app.get(WebhookFollower);
      while (minting) await follower.follow();
    });
    await Promise.all(
      Array.from({ length: MINTS }, (_, i) =>
        apps[i % apps.length]
          .http()
          .post('/v1/credits/mint')
          .set(ctx.admin())
          .set('Idempotency-Key', randomUUID())
          .send({ account_type: 'user', account_id: kim.name, amount: '1' })
          .expect(201),
      ),
    );
    minting = false;
    await Promise.all(racers);

    const log = await until(async () => {
      const rows: { event_id: string; sequence: string; status: string }[] = await apps[0].dataSource.query(
        `SELECT event_id, sequence::text, status FROM webhook_deliveries WHERE subscription_id = $1 ORDER BY id`,
        [id],
      );
      return rows.length >= MINTS && rows.every((r) => r.status === 'delivered') ? rows : undefined;
    }, `${MINTS} deliveries delivered`);
    // Every mint of the race once, enqueued in outbox order, received once each.
    const [{ mints }] = await apps[0].dataSource.query(
      `SELECT count(*)::int AS mints FROM outbox WHERE event_type = 'TransferPosted' AND id >= $1::bigint`,
      [log[0].sequence],
    );
    expect(mints).toBe(MINTS);
    expect(log).toHaveLength(MINTS);
    expect(new Set(log.map((d) => d.event_id)).size).toBe(MINTS);
    for (let i = 1; i < log.length; i++) expect(BigInt(log[i].sequence) > BigInt(log[i - 1].sequence)).toBe(true);
    await until(() => (hook.got.length >= MINTS ? true : undefined), 'every request');
    expect(new Set(hook.got.map((g) => g.headers['tally-event-id'])).size).toBe(MINTS);
    expect(hook.got).toHaveLength(MINTS);
    // The cursor caught up with the outbox.
    await until(async () => {
      const [row] = await apps[0].dataSource.query(
        `SELECT (SELECT position FROM outbox_cursors WHERE name = $1) >= (SELECT max(id) FROM outbox) AS caught_up`,
        [WEBHOOKS_CURSOR],
      );
      return row.caught_up ? true : undefined;
    }, 'the cursor at the end of the outbox');
  });

  it("the outbox cleanup keeps every row above the lowest follower's cursor", async () => {
    const t = apps[0];
    const ctx = new JobsCtx(t);
    await ctx.fundedClient('1');
    const [{ max }] = await t.dataSource.query(`SELECT max(id)::text AS max FROM outbox`);
    await ctx.fundedClient('1');
    await ctx.fundedClient('1');
    // A follower that stopped at `max`; every row published long ago.
    await t.dataSource.query(`INSERT INTO outbox_cursors (name, position) VALUES ('lagging', $1)`, [max]);
    await t.dataSource.query(`UPDATE outbox SET published_at = now() - interval '2 hours'`);
    await until(async () => {
      const [row] = await t.dataSource.query(
        `SELECT position >= (SELECT max(id) FROM outbox) AS caught_up FROM outbox_cursors WHERE name = $1`,
        [WEBHOOKS_CURSOR],
      );
      return row.caught_up ? true : undefined;
    }, 'the webhook follower past every row');
    try {
      await t.app.get(OutboxRelay).cleanUp();
      const [left] = await t.dataSource.query(
        `SELECT count(*) FILTER (WHERE id <= $1)::int AS below, count(*) FILTER (WHERE id > $1)::int AS above FROM outbox`,
        [max],
      );
      expect(left.below).toBe(0);
      expect(left.above).toBeGreaterThanOrEqual(2);
      await t.dataSource.query(`DELETE FROM outbox_cursors WHERE name = 'lagging'`);
      await until(async () => {
        // The webhook follower's cursor is the lowest now: once it is past every row, all go.
        await t.app.get(OutboxRelay).cleanUp();
        const [{ n }] = await t.dataSource.query(
          `SELECT count(*)::int AS n FROM outbox WHERE published_at < now() - interval '1 hour'`,
        );
        return n === 0 ? true : undefined;
      }, 'the aged rows deleted');
    } finally {
      await t.dataSource.query(`DELETE FROM outbox_cursors WHERE name = 'lagging'`);
    }
  });
});
