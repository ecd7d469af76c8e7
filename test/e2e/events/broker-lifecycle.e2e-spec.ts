import { eventMessages } from '@tally/database';
import { ProversCtx } from '../../support/provers-ctx';
import { startTestApp, TestApp } from '../../support/test-app';
import { brokerEnv, deleteStream, readStream, SHARED_NATS_URL } from '../../support/events-ctx';

/**
 * With a broker configured, every outbox row goes to one JetStream stream: a job's life
 * on its subjects in commit order, Nats-Msg-Id the event id, a transfer once per account.
 */
describe('event broker: a lifecycle on the stream', () => {
  const env = brokerEnv();
  let t: TestApp;
  let ctx: ProversCtx;
  beforeAll(async () => {
    t = await startTestApp({ ...env, SCHEDULER_ENABLED: 'false', SETTLEMENT_ENABLED: 'false' });
    ctx = new ProversCtx(t);
  });
  afterAll(async () => {
    await t.close();
    await deleteStream(SHARED_NATS_URL, env.EVENTS_STREAM);
  });

  const backlog = async () =>
    Number((await t.dataSource.query(`SELECT count(*) AS n FROM outbox WHERE broker_published_at IS NULL`))[0].n);

  async function drained(ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while ((await backlog()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(await backlog()).toBe(0);
  }

  it('emits exactly the job subjects in order, with Nats-Msg-Id = event_id, and each transfer once per account', async () => {
    const client = await ctx.fundedClient('10');
    const prover = await ctx.registeredProver();
    await ctx.heartbeat(prover.name, prover.key).expect(200);
    const id = (await ctx.submit(client.key, { max_cost_micros: 1_000_000 }).expect(201)).body.network_job_id;
    await ctx.assign(id, [prover.name]).expect(201);
    expect((await ctx.poll(prover.name, prover.key).expect(200)).body.network_job_id).toBe(id);
    await ctx.report(id, prover.key, { success: true, final_cost_micros: 400_000 }).expect(201);
    expect(await ctx.waitForStatus(id, 'AUDITED')).toBe('AUDITED');
    await drained();

    const messages = await readStream(SHARED_NATS_URL, env.EVENTS_STREAM);
    const p = env.EVENTS_SUBJECT_PREFIX;
    const jobSubjects = messages
      .map((m) => m.subject)
      .filter((s) => s.startsWith(`${p}.job.${id}.`) || s === `${p}.audit.${id}`);
    expect(jobSubjects).toEqual([
      `${p}.job.${id}.submitted`,
      `${p}.job.${id}.assigned`,
      `${p}.job.${id}.started`,
      `${p}.job.${id}.completed`,
      `${p}.audit.${id}`,
      `${p}.job.${id}.audited`,
    ]);

    // Every outbox row is on the stream once per subject, as its public envelope.
    const rows: { id: string; event_id: string; event_type: string; payload: object; created_at: Date }[] =
      await t.dataSource.query(
        `SELECT o.id::text AS id, o.event_id, o.event_type, o.payload, o.created_at FROM outbox o ORDER BY o.id`,
      );
    const expected = rows.flatMap((r) =>
      eventMessages(r, p).map(({ subject, msgId }) => ({
        subject,
        msgId,
        event: {
          event_id: r.event_id,
          type: r.event_type,
          sequence: r.id,
          occurred_at: r.created_at.toISOString(),
          subject,
          data: r.payload,
        },
      })),
    );
    expect(messages.map(({ subject, msgId, event }) => ({ subject, msgId, event }))).toEqual(
      expect.arrayContaining(expected),
    );
    expect(messages).toHaveLength(expected.length);
    // Per subject, the stream's order is the outbox's (commit) order.
    const bySubject = new Map<string, string[]>();
    for (const m of messages) bySubject.set(m.subject, [...(bySubject.get(m.subject) ?? []), m.event.sequence]);
    for (const sequences of bySubject.values()) {
      expect(sequences).toEqual([...sequences].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1)));
    }
    // The client's account: the hold and its capture, each once, on the account's subject.
    const clientSubject = `${p}.ledger.transfer.user.${client.name}`;
    expect(messages.filter((m) => m.subject === clientSubject).map((m) => m.event.type)).toEqual(
      expect.arrayContaining(['HoldPlaced', 'HoldCaptured']),
    );
  });

  it('puts a sealed settlement batch on settlement.batch', async () => {
    const sealed = await t
      .http()
      .post('/v1/settlement/batches')
      .set('Authorization', `Bearer ${t.adminKey}`)
      .expect(201);
    await drained();
    const batches = (await readStream(SHARED_NATS_URL, env.EVENTS_STREAM)).filter(
      (m) => m.subject === `${env.EVENTS_SUBJECT_PREFIX}.settlement.batch`,
    );
    expect(batches.map((m) => m.event.data)).toEqual([sealed.body.batch]);
    expect(batches[0].event.type).toBe('SettlementBatchSealed');
  });

  it('reports the transport up on /ready, and no backlog on /v1/system/info and the lag gauge', async () => {
    await drained();
    const ready = await t.http().get('/ready').expect(200);
    expect(ready.body.info.events).toEqual({ status: 'up', transport: 'nats', state: 'up' });
    const info = await t.http().get('/v1/system/info').expect(200);
    expect(info.body.events).toEqual({ transport: 'nats', state: 'up', backlog: 0, lag_seconds: 0 });
    const metrics = await t.http().get('/metrics').expect(200);
    expect(metrics.text).toMatch(/^tally_outbox_lag_seconds 0$/m);
    const status = await t.http().get('/v1/events/status').set('Authorization', `Bearer ${t.adminKey}`).expect(200);
    expect(status.body).toMatchObject({ transport: 'nats', state: 'up', stream: env.EVENTS_STREAM, failing: [] });
  });
});
