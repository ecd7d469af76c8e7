import { DiscardPolicy, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { JobsCtx } from '../../support/jobs-ctx';
import { startTestApp, TestApp } from '../../support/test-app';
import { brokerEnv, deleteStream, readStream, SHARED_NATS_URL } from '../../support/events-ctx';

const ACCOUNTS = 20;

/**
 * A broker that answers but refuses every publish (the stream is full and discards new
 * messages): after the first failed pass the relay sends only the head row, pass after
 * pass, instead of a batch; once the broker takes it again every row goes out, in order.
 */
describe('event broker: one probe a pass while degraded', () => {
  let t: TestApp;
  let nc: NatsConnection;
  let env: ReturnType<typeof brokerEnv>;
  beforeAll(async () => {
    env = brokerEnv();
    t = await startTestApp({
      ...env,
      EVENTS_PUBLISH_TIMEOUT_MS: '500',
      EVENTS_RETRY_BUDGET: '1',
      SCHEDULER_ENABLED: 'false',
      SETTLEMENT_ENABLED: 'false',
    });
    nc = await connect({ servers: SHARED_NATS_URL });
  });
  afterAll(async () => {
    await nc?.close();
    await t?.close();
    await deleteStream(SHARED_NATS_URL, env.EVENTS_STREAM);
  });

  const backlog = async () =>
    Number((await t.dataSource.query(`SELECT count(*) AS n FROM outbox WHERE broker_published_at IS NULL`))[0].n);
  const drained = async () => {
    const deadline = Date.now() + 15_000;
    while ((await backlog()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    return backlog();
  };

  it('sends the head row alone until it is acked, then drains in order', async () => {
    const ctx = new JobsCtx(t);
    await ctx.mint('user', ctx.name('client'), '1');
    expect(await drained()).toBe(0);
    const jsm = await jetstreamManager(nc);
    const stored = (await jsm.streams.info(env.EVENTS_STREAM)).state.messages;
    await jsm.streams.update(env.EVENTS_STREAM, { max_msgs: stored, discard: DiscardPolicy.New });

    // Every publish on the stream's subjects, as the broker saw it (refused or not).
    const seen: { at: number; msgId: string }[] = [];
    const sub = nc.subscribe(`${env.EVENTS_SUBJECT_PREFIX}.>`, {
      callback: (_err, m) => {
        seen.push({ at: Date.now(), msgId: m.headers?.get('Nats-Msg-Id') ?? '' });
      },
    });
    const accounts = Array.from({ length: ACCOUNTS }, () => ctx.name('client'));
    for (const account of accounts) await ctx.mint('user', account, '1');

    // Every row is due and failing (DSE-006 past the budget of 1) ...
    const deadline = Date.now() + 15_000;
    let failing: { event_id: string; code: string }[] = [];
    while (failing.length < ACCOUNTS && Date.now() < deadline) {
      failing = (await t.http().get('/v1/events/status').set(ctx.admin()).expect(200)).body.failing;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(failing).toHaveLength(ACCOUNTS);
    expect((await t.http().get('/ready').expect(200)).body.info.events.state).toBe('degraded');
    // ... but once degraded, each pass publishes only the head row (its copy per account).
    const [head] = await t.dataSource.query(
      `SELECT event_id FROM outbox WHERE broker_published_at IS NULL ORDER BY id LIMIT 1`,
    );
    const from = Date.now();
    await new Promise((r) => setTimeout(r, 2_500));
    const window = seen.filter((s) => s.at >= from);
    expect(window.length).toBeGreaterThan(0);
    expect(new Set(window.map((s) => s.msgId.split(':')[0]))).toEqual(new Set([head.event_id]));
    sub.unsubscribe();

    // The broker takes messages again: the probe is acked, then the rest goes out in full batches.
    await jsm.streams.update(env.EVENTS_STREAM, { max_msgs: -1 });
    expect(await drained()).toBe(0);
    expect((await t.http().get('/v1/events/status').set(ctx.admin()).expect(200)).body.failing).toEqual([]);
    const messages = await readStream(SHARED_NATS_URL, env.EVENTS_STREAM);
    for (const account of accounts) {
      const copies = messages.filter(
        (m) => m.subject === `${env.EVENTS_SUBJECT_PREFIX}.ledger.transfer.user.${account}`,
      );
      expect(copies).toHaveLength(1);
    }
    expect(new Set(messages.map((m) => m.msgId)).size).toBe(messages.length);
    // Per subject, outbox order (the mint account's subject has a copy of every mint).
    const bySubject = new Map<string, bigint[]>();
    for (const m of messages) bySubject.set(m.subject, [...(bySubject.get(m.subject) ?? []), BigInt(m.event.sequence)]);
    expect(Math.max(...[...bySubject.values()].map((s) => s.length))).toBeGreaterThan(ACCOUNTS);
    for (const sequences of bySubject.values()) {
      expect(sequences).toEqual([...sequences].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    }
  }, 60_000);
});
