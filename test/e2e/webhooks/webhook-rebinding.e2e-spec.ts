import { randomUUID } from 'node:crypto';
import { JobsCtx } from '../../support/jobs-ctx';
import { startTestApp, TestApp } from '../../support/test-app';
import { Receiver, until } from '../../support/webhook-receiver';

describe('webhooks: the address check at each send (DNS rebinding)', () => {
  let t: TestApp;
  let ctx: JobsCtx;
  let hook: Receiver;
  beforeAll(async () => {
    // Private addresses refused, as in production; quick retries.
    t = await startTestApp({ WEBHOOKS_RETRY_BASE_MS: '20' });
    ctx = new JobsCtx(t);
    hook = await new Receiver().start();
  });
  afterAll(async () => {
    await t.close();
    await hook.close();
  });

  it('refuses a host that resolves to a private address now: a failed attempt, retried, the receiver never called', async () => {
    const ivan = await ctx.fundedClient('10');
    const rebound = hook.url.replace('127.0.0.1', 'localhost');
    // Refused when subscribing, as it resolves to loopback now.
    const refused = await t
      .http()
      .post('/v1/webhooks')
      .set(ivan.key)
      .send({ url: rebound, event_types: ['JobSubmitted'] })
      .expect(400);
    expect(refused.body.code).toBe('DSE-001');
    // As if it had resolved to a public address when subscribed, and to loopback since.
    const [sub] = await t.dataSource.query(
      `INSERT INTO webhook_subscriptions (id, owner_role, owner_subject, url, event_types, secret)
       VALUES ($1, 'client', $2, $3, ARRAY['JobSubmitted'], 'whsec_test') RETURNING id`,
      [randomUUID(), ivan.name, rebound],
    );
    await ctx.submit(ivan.key, { max_cost_micros: 1_000_000 }).expect(201);
    const [entry] = await until(async () => {
      const res = await t.http().get(`/v1/webhooks/${sub.id}/deliveries`).set(ivan.key).expect(200);
      const items = res.body.items as { attempts: number; last_error: string | null }[];
      return items[0]?.attempts >= 2 ? items : undefined;
    }, 'two refused attempts');
    expect(entry).toMatchObject({ status: 'pending', last_status_code: null });
    expect(entry.last_error).toMatch(/^PrivateAddressError: localhost resolves to .+, a private address: refused$/);
    expect(hook.got).toHaveLength(0);
  });

  it('refuses an address written in the URL the same way', async () => {
    const judy = await ctx.fundedClient('10');
    const [sub] = await t.dataSource.query(
      `INSERT INTO webhook_subscriptions (id, owner_role, owner_subject, url, event_types, secret)
       VALUES ($1, 'client', $2, $3, ARRAY['JobSubmitted'], 'whsec_test') RETURNING id`,
      [randomUUID(), judy.name, hook.url],
    );
    await ctx.submit(judy.key, { max_cost_micros: 1_000_000 }).expect(201);
    const [entry] = await until(async () => {
      const res = await t.http().get(`/v1/webhooks/${sub.id}/deliveries`).set(judy.key).expect(200);
      const items = res.body.items as { attempts: number; last_error: string | null }[];
      // An attempt is counted when its delivery is leased, before the send: wait for its outcome.
      return items[0]?.attempts >= 1 && items[0].last_error !== null ? items : undefined;
    }, 'a refused attempt');
    expect(entry.last_error).toBe('PrivateAddressError: 127.0.0.1 is a private address: refused');
    expect(hook.got).toHaveLength(0);
  });
});
