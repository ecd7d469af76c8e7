import { eventMessages } from '@tally/database';
import { JobsCtx } from '../../support/jobs-ctx';
import { startTestApp, TestApp } from '../../support/test-app';
import { brokerEnv, OwnNatsServer, readStream } from '../../support/events-ctx';

/** 500 on a Postgres server; fewer on the embedded database (in the test process: 500 took over 2 min there). */
const LIFECYCLES = process.env.DATABASE_URL ? 500 : 60;
const WORKERS = 12;

/**
 * The broker killed in the middle of a load of lifecycles, then started again (a server of
 * this test's own, on its own port and store): the ledger goes on, events wait in the
 * outbox, /ready says the transport is degraded (still 200), and once the broker is back
 * every event is on the stream once, in order per subject, and the backlog drains to zero.
 */
describe('event broker: an outage under load', () => {
  let nats: OwnNatsServer;
  let t: TestApp;
  let ctx: JobsCtx;
  let env: Record<string, string>;
  beforeAll(async () => {
    nats = await OwnNatsServer.start();
    env = { ...brokerEnv(nats.url), EVENTS_PUBLISH_TIMEOUT_MS: '500', EVENTS_RETRY_BUDGET: '1' };
    t = await startTestApp({ ...env, SCHEDULER_ENABLED: 'false', SETTLEMENT_ENABLED: 'false' });
    ctx = new JobsCtx(t);
  });
  afterAll(async () => {
    await t?.close();
    await nats?.close();
  });

  const backlog = async () =>
    Number((await t.dataSource.query(`SELECT count(*) AS n FROM outbox WHERE broker_published_at IS NULL`))[0].n);

  it('loses nothing, repeats nothing after dedup, keeps per-subject order, and drains', async () => {
    const client = await ctx.fundedClient(String(LIFECYCLES * 2));
    const provers = [await ctx.workingProver(), await ctx.workingProver()];
    const ids: string[] = [];
    let done = 0;
    const worker = async (w: number) => {
      while (ids.length < LIFECYCLES) {
        const prover = provers[w % provers.length];
        const id = await ctx.running(client.key, [prover], { max_cost_micros: 1_000_000 });
        ids.push(id);
        const success = ids.length % 5 !== 0;
        await ctx
          .report(
            id,
            prover.key,
            success ? { success: true, final_cost_micros: 400_000 } : { success: false, error_message: 'boom' },
          )
          .expect(201);
        done++;
      }
    };
    const load = Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));

    // A third of the way in, the broker goes away for a while.
    while (done < LIFECYCLES / 3) await new Promise((r) => setTimeout(r, 20));
    await nats.stop();
    const states = new Set<string>();
    const readyStatuses = new Set<number>();
    let backlogDuringOutage = 0;
    const outageEnds = Date.now() + 3_000;
    while (Date.now() < outageEnds) {
      const ready = await t.http().get('/ready');
      readyStatuses.add(ready.status);
      states.add(ready.body.info?.events?.state);
      backlogDuringOutage = Math.max(backlogDuringOutage, await backlog());
      await new Promise((r) => setTimeout(r, 100));
    }
    const info = await t.http().get('/v1/system/info').expect(200);
    expect(info.body.events).toMatchObject({ transport: 'nats', state: 'degraded' });
    expect(info.body.events.backlog).toBeGreaterThan(0);
    expect(info.body.events.lag_seconds).toBeGreaterThan(0);
    const status = await t.http().get('/v1/events/status').set(ctx.admin()).expect(200);
    expect(status.body.state).toBe('degraded');
    expect(status.body.failing.length).toBeGreaterThan(0);
    expect(status.body.failing[0]).toMatchObject({ code: 'DSE-006' });
    await nats.resume();
    await load;

    // Every job settles and is audited; the broker's backlog drains to zero.
    for (const [i, id] of ids.entries()) {
      const settled = i % 5 === 4 ? 'FAILED' : 'AUDITED';
      expect(await ctx.waitForStatus(id, settled, 20_000)).toBe(settled);
    }
    const deadline = Date.now() + 20_000;
    while ((await backlog()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await backlog()).toBe(0);
    expect(readyStatuses).toEqual(new Set([200]));
    expect(states).toContain('degraded');
    expect(backlogDuringOutage).toBeGreaterThan(0);
    expect((await t.http().get('/ready').expect(200)).body.info.events.state).toBe('up');
    expect((await t.http().get('/v1/events/status').set(ctx.admin()).expect(200)).body.failing).toEqual([]);

    const rows: { id: string; event_id: string; event_type: string; payload: object }[] = await t.dataSource.query(
      `SELECT o.id::text AS id, o.event_id, o.event_type, o.payload FROM outbox o ORDER BY o.id`,
    );
    const expected = rows.flatMap((r) =>
      eventMessages(r, env.EVENTS_SUBJECT_PREFIX).map((m) => ({ ...m, sequence: r.id })),
    );
    const messages = await readStream(nats.url, env.EVENTS_STREAM);
    // Each message once (JetStream dropped the retries' repeats by Nats-Msg-Id), nothing missing.
    expect(messages.map((m) => m.msgId).sort()).toEqual(expected.map((m) => m.msgId).sort());
    expect(new Set(messages.map((m) => m.msgId)).size).toBe(messages.length);
    // Per order key (a subject, or a job's subjects), the stream's order is the outbox's.
    const keyOf = new Map(expected.map((m) => [m.msgId, m.orderKey]));
    const byKey = new Map<string, bigint[]>();
    for (const m of messages) {
      const key = keyOf.get(m.msgId!)!;
      byKey.set(key, [...(byKey.get(key) ?? []), BigInt(m.event.sequence)]);
    }
    for (const sequences of byKey.values()) {
      expect(sequences).toEqual([...sequences].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    // Every settled job's own events are there.
    const jobEvents = messages.filter((m) => m.subject.startsWith(`${env.EVENTS_SUBJECT_PREFIX}.job.`));
    for (const id of ids) {
      expect(jobEvents.some((m) => m.subject === `${env.EVENTS_SUBJECT_PREFIX}.job.${id}.submitted`)).toBe(true);
    }
  }, 240_000);
});
