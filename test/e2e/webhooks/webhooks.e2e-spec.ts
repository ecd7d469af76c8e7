import { randomUUID } from 'node:crypto';
import { verifyWebhookSignature } from '@tally/webhooks';
import { JobsCtx } from '../../support/jobs-ctx';
import { startTestApp, TestApp } from '../../support/test-app';
import { Receiver, until } from '../../support/webhook-receiver';

describe('webhooks', () => {
  let t: TestApp;
  let ctx: JobsCtx;
  const receivers: Receiver[] = [];
  beforeAll(async () => {
    // Loopback receivers, and quick retries.
    t = await startTestApp({ WEBHOOKS_ALLOW_PRIVATE_URLS: 'true', WEBHOOKS_RETRY_BASE_MS: '20' });
    ctx = new JobsCtx(t);
  });
  afterAll(async () => {
    await t.close();
    await Promise.all(receivers.map((r) => r.close()));
  });
  const receiver = async (statuses: number[] = []) => {
    const r = await new Receiver(statuses).start();
    receivers.push(r);
    return r;
  };
  const subscribe = (key: Record<string, string>, url: string, eventTypes: string[]) =>
    t.http().post('/v1/webhooks').set(key).send({ url, event_types: eventTypes });
  const mint = (accountId: string, amount: string) =>
    t
      .http()
      .post('/v1/credits/mint')
      .set(ctx.admin())
      .set('Idempotency-Key', randomUUID())
      .send({ account_type: 'user', account_id: accountId, amount })
      .expect(201);
  /** The receiver's requests, one per event (by Tally-Event-Id), parsed. */
  const eventsOf = (hook: Receiver) =>
    [...new Map(hook.got.map((g) => [g.headers['tally-event-id'] as string, g])).values()].map(
      (g) => JSON.parse(g.body) as { event_id: string; type: string; sequence: string; data: Record<string, unknown> },
    );
  const deliveryLog = async (key: Record<string, string>, webhookId: string) =>
    (await t.http().get(`/v1/webhooks/${webhookId}/deliveries`).set(key).expect(200)).body.items as {
      event_id: string;
      sequence: string;
      status: string;
    }[];
  const onAccount = (id: string) => (e: { data: Record<string, unknown> }) =>
    (e.data.legs as { account_type: string; account_id: string }[]).some(
      (l) => l.account_type === 'user' && l.account_id === id,
    );

  it('a receiver failing 3 times then succeeding gets each of its events once after dedup, signed', async () => {
    const hook = await receiver([500, 500, 503]);
    const alice = await ctx.fundedClient('10');
    const bob = await ctx.fundedClient('10');
    const created = await subscribe(alice.key, hook.url, [
      'JobSubmitted',
      'JobCancelled',
      'BalanceAlertTriggered',
    ]).expect(201);
    const secret: string = created.body.secret;
    expect(secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    // The secret is shown once: never listed again.
    const listed = await t.http().get('/v1/webhooks').set(alice.key).expect(200);
    expect(listed.body.items).toEqual([expect.not.objectContaining({ secret: expect.anything() })]);

    const bobJob = (await ctx.submit(bob.key, { max_cost_micros: 1_000_000 }).expect(201)).body.network_job_id;
    const job = (await ctx.submit(alice.key, { max_cost_micros: 1_000_000 }).expect(201)).body.network_job_id;
    await t.http().post(`/v1/jobs/${job}/cancel`).set(alice.key).send().expect(200);
    await t
      .http()
      .post(`/v1/credits/accounts/user/${alice.name}/alerts`)
      .set(alice.key)
      .send({ below: '5' })
      .expect(201);
    await t
      .http()
      .post('/v1/credits/spend')
      .set(alice.key)
      .set('Idempotency-Key', randomUUID())
      .send({ amount: '6' })
      .expect(201);

    const unique = () => new Map(hook.got.map((g) => [g.headers['tally-event-id'] as string, g]));
    // Three failed attempts, then one success per event (a delivered event is not sent again):
    // six requests mean every event got through, whichever order the attempts took.
    await until(() => (unique().size >= 3 && hook.got.length >= 6 ? true : undefined), 'three events delivered');
    const events = [...unique().values()].map((g) => JSON.parse(g.body));
    expect(events.map((e) => e.type).sort()).toEqual(['BalanceAlertTriggered', 'JobCancelled', 'JobSubmitted']);
    for (const e of events.filter((x) => x.type !== 'BalanceAlertTriggered')) expect(e.data.network_job_id).toBe(job);
    expect(events.find((e) => e.type === 'BalanceAlertTriggered').data).toMatchObject({
      account_type: 'user',
      account_id: alice.name,
      direction: 'below',
      threshold: '5',
    });
    expect(JSON.stringify(events)).not.toContain(`"network_job_id":"${bobJob}"`);
    // Three failed attempts, each event delivered; every request signed over its exact body.
    expect(hook.got.length).toBeGreaterThanOrEqual(6);
    const now = Math.floor(Date.now() / 1000);
    for (const g of hook.got) {
      const body = JSON.parse(g.body);
      expect(g.headers['tally-event-id']).toBe(body.event_id);
      expect(body).toEqual(
        expect.objectContaining({ sequence: expect.stringMatching(/^\d+$/), occurred_at: expect.any(String) }),
      );
      expect(verifyWebhookSignature(secret, g.headers['tally-signature'] as string, g.body, now)).toBe(true);
      // A tampered body fails the receiver's check.
      const tampered = g.body.replace(body.event_id, randomUUID());
      expect(verifyWebhookSignature(secret, g.headers['tally-signature'] as string, tampered, now)).toBe(false);
    }

    const log = await until(async () => {
      const res = await t.http().get(`/v1/webhooks/${created.body.webhook_id}/deliveries`).set(alice.key).expect(200);
      return res.body.items.every((d: { status: string }) => d.status === 'delivered') ? res.body.items : undefined;
    }, 'every delivery recorded as delivered');
    expect(log).toHaveLength(3);
    const attempts = log.reduce((n: number, d: { attempts: number }) => n + d.attempts, 0);
    expect(attempts).toBe(hook.got.length);
  });

  it('past the retry window a delivery and its subscription are marked failing, and kept', async () => {
    const hook = await receiver(Array(1000).fill(500));
    const carol = await ctx.fundedClient('10');
    const created = await subscribe(carol.key, hook.url, ['JobSubmitted']).expect(201);
    await ctx.submit(carol.key, { max_cost_micros: 1_000_000 }).expect(201);
    await until(() => (hook.got.length >= 1 ? true : undefined), 'a first attempt');
    // As if the first attempt had been a day ago.
    await t.dataSource.query(
      `UPDATE webhook_deliveries SET created_at = now() - interval '25 hours' WHERE subscription_id = $1`,
      [created.body.webhook_id],
    );
    const failing = await until(async () => {
      const res = await t.http().get('/v1/webhooks').set(carol.key).expect(200);
      return res.body.items[0].status === 'failing' ? res.body.items[0] : undefined;
    }, 'the subscription failing');
    expect(failing.failing_since).toEqual(expect.any(String));
    const log = await t.http().get(`/v1/webhooks/${created.body.webhook_id}/deliveries`).set(carol.key).expect(200);
    expect(log.body.items).toEqual([expect.objectContaining({ status: 'failing', last_status_code: 500 })]);
  });

  it("a client cannot see, change or read the deliveries of another client's subscription", async () => {
    const hook = await receiver();
    const dave = await ctx.fundedClient('1');
    const eve = await ctx.fundedClient('1');
    const created = await subscribe(dave.key, hook.url, ['JobSubmitted']).expect(201);
    const id = created.body.webhook_id;
    expect((await t.http().get('/v1/webhooks').set(eve.key).expect(200)).body.items).toEqual([]);
    await t.http().get(`/v1/webhooks/${id}/deliveries`).set(eve.key).expect(404);
    await t.http().delete(`/v1/webhooks/${id}`).set(eve.key).expect(404);
    const prover = await ctx.prover();
    await subscribe(prover.key, hook.url, ['JobSubmitted']).expect(403);
    for (const [url, types] of [
      ['ftp://127.0.0.1/x', ['JobSubmitted']],
      ['not a url', ['JobSubmitted']],
      ['http://user:pw@127.0.0.1/x', ['JobSubmitted']],
      [hook.url, ['ScorecardUpdate']],
      [hook.url, []],
    ] as const) {
      const res = await subscribe(dave.key, url, [...types]).expect(400);
      expect(res.body.code).toBe('DSE-001');
    }
    // At most 20 per owner.
    for (let i = 1; i < 20; i++) await subscribe(dave.key, hook.url, ['JobFailed']).expect(201);
    expect((await subscribe(dave.key, hook.url, ['JobFailed']).expect(400)).body.code).toBe('DSE-001');
    // An admin sees every subscription, and the owner may remove its own.
    const all = await t.http().get('/v1/webhooks').set(ctx.admin()).expect(200);
    expect(all.body.items.map((s: { webhook_id: string }) => s.webhook_id)).toContain(id);
    await t.http().delete(`/v1/webhooks/${id}`).set(dave.key).expect(204);
    await t.http().get(`/v1/webhooks/${id}/deliveries`).set(dave.key).expect(404);
  });

  it("delivers ledger transfers on a client's own account to it, every client's to an admin, each once", async () => {
    const mine = await receiver();
    const all = await receiver();
    const frank = await ctx.fundedClient('10');
    const grace = await ctx.fundedClient('10');
    const types = ['TransferPosted', 'HoldPlaced', 'HoldCaptured', 'HoldVoided', 'HoldExpired'];
    const clientHook = await subscribe(frank.key, mine.url, types).expect(201);
    const adminHook = await subscribe(ctx.admin(), all.url, ['TransferPosted']).expect(201);

    await mint(frank.name, '3');
    await mint(grace.name, '4');
    await t
      .http()
      .post('/v1/credits/spend')
      .set(frank.key)
      .set('Idempotency-Key', randomUUID())
      .send({ amount: '2' })
      .expect(201);

    // Frank's: his mint and his spend; the admin's: both mints and the spend.
    const frankEvents = await until(() => {
      const got = eventsOf(mine);
      return got.length >= 2 ? got : undefined;
    }, "frank's two transfers");
    const adminEvents = await until(() => {
      const got = eventsOf(all).filter((e) => onAccount(frank.name)(e) || onAccount(grace.name)(e));
      return got.length >= 3 ? got : undefined;
    }, 'three transfers for the admin');
    // Nothing more is on its way: every delivery is recorded and delivered.
    for (const [key, hook] of [
      [frank.key, clientHook],
      [ctx.admin(), adminHook],
    ] as const) {
      await until(async () => {
        const log = await deliveryLog(key, hook.body.webhook_id);
        return log.every((d) => d.status === 'delivered') ? true : undefined;
      }, 'the deliveries recorded');
    }

    expect(eventsOf(mine)).toHaveLength(2);
    expect(frankEvents.every(onAccount(frank.name))).toBe(true);
    expect(frankEvents.some(onAccount(grace.name))).toBe(false);
    expect(frankEvents.map((e) => [e.type, e.data.kind]).sort()).toEqual([
      ['TransferPosted', 'mint'],
      ['TransferPosted', 'spend'],
    ]);
    expect(adminEvents.map((e) => e.data.kind).sort()).toEqual(['mint', 'mint', 'spend']);
    // Each event once, signed: as many requests as distinct event ids (the receivers never failed).
    expect(mine.got).toHaveLength(2);
    const now = Math.floor(Date.now() / 1000);
    for (const g of mine.got) {
      expect(verifyWebhookSignature(clientHook.body.secret, g.headers['tally-signature'] as string, g.body, now)).toBe(
        true,
      );
    }
    // The same transfer reaches both subscriptions under the same event id.
    const adminIds = new Set(adminEvents.map((e) => e.event_id));
    expect(frankEvents.every((e) => adminIds.has(e.event_id))).toBe(true);
  });

  it('loses and repeats nothing when many transfers race: 50 concurrent mints, 50 deliveries in order', async () => {
    const hook = await receiver();
    const heidi = await ctx.fundedClient('1');
    const created = await subscribe(heidi.key, hook.url, ['TransferPosted']).expect(201);
    const id = created.body.webhook_id;
    await Promise.all(Array.from({ length: 50 }, () => mint(heidi.name, '1')));

    const log = await until(async () => {
      const items = await deliveryLog(heidi.key, id);
      return items.length >= 50 && items.every((d) => d.status === 'delivered') ? items : undefined;
    }, 'fifty deliveries delivered');
    // A moment more: a repeat would show up as a 51st delivery or request.
    await new Promise((r) => setTimeout(r, 500));
    const final = await deliveryLog(heidi.key, id);
    expect(final).toHaveLength(50);
    expect(new Set(final.map((d) => d.event_id)).size).toBe(50);
    expect(hook.got).toHaveLength(50);
    expect(new Set(hook.got.map((g) => g.headers['tally-event-id'])).size).toBe(50);
    // Enqueued in outbox order: the log (newest first) runs down the outbox sequence.
    const sequences = log.map((d) => BigInt(d.sequence));
    for (let i = 1; i < sequences.length; i++) expect(sequences[i] < sequences[i - 1]).toBe(true);
  });
});
