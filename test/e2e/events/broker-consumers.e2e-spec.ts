import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { brokerConsumerConfig } from '@tally/database';
import { SCORECARD_BROKER_SUBSCRIPTION } from '@tally/provers';
import { validateEnv } from '@tally/shared';
import { ProversCtx } from '../../support/provers-ctx';
import { startTestApp, TestApp } from '../../support/test-app';
import { createTestDatabase } from '../../support/test-database';
import { brokerEnv, deleteStream, SHARED_NATS_URL } from '../../support/events-ctx';

const JOBS = 18;
const PROVERS = 3;
/** Each prover's jobs complete and fail in turn (in another phase per prover): its EMA depends on their order. */
const succeeds = (i: number) => (Math.floor(i / PROVERS) + (i % PROVERS)) % 2 === 0;
const common = { SCHEDULER_ENABLED: 'false', SETTLEMENT_ENABLED: 'false', SCORE_DECAY_HALF_LIFE_MS: '0' };

/** Runs the same jobs on three provers; returns each prover's scorecard (by its place), once all are applied. */
async function scenario(t: TestApp): Promise<Record<string, unknown>[]> {
  const ctx = new ProversCtx(t);
  const client = await ctx.fundedClient(String(JOBS * 2));
  const provers = await Promise.all(Array.from({ length: PROVERS }, () => ctx.workingProver()));
  const ids: string[] = [];
  for (let i = 0; i < JOBS; i++) {
    const prover = provers[i % PROVERS];
    const id = await ctx.running(client.key, [prover], { max_cost_micros: 1_000_000 });
    await ctx
      .report(
        id,
        prover.key,
        succeeds(i) ? { success: true, final_cost_micros: 400_000 } : { success: false, error_message: 'boom' },
      )
      .expect(201);
    ids.push(id);
  }
  // The audit entries come through the recorder (from the broker when so configured).
  for (const [i, id] of ids.entries()) {
    const settled = succeeds(i) ? 'AUDITED' : 'FAILED';
    expect(await ctx.waitForStatus(id, settled, 20_000)).toBe(settled);
  }
  const audited = await t.dataSource.query(`SELECT count(*)::int AS n FROM job_audit_log`);
  expect(audited[0].n).toBe(JOBS);
  return Promise.all(
    provers.map(async (p) => {
      const card = await ctx.waitForScoreVersion(p.name, JOBS / PROVERS, 30_000);
      return {
        score_recorded: card.score_recorded,
        successful_jobs: card.successful_jobs,
        failed_jobs: card.failed_jobs,
        version: card.version,
      };
    }),
  );
}

/**
 * SCORECARD_CONSUMER=broker and AUDIT_CONSUMER=broker: the persistor and the audit recorder
 * read from durable JetStream consumers. The persistor's is ordered (one message out at a
 * time), so a message that comes again (its consumer died, its handler failed) is still
 * applied before the later ones of its prover, and mixed outcomes end in the same EMA.
 */
describe('event broker: the persistor and the audit recorder fed by the broker', () => {
  /** The scorecards of the in-process path (no broker). */
  let expected: Record<string, unknown>[];
  beforeAll(async () => {
    const inProcess = await startTestApp(common);
    try {
      expected = await scenario(inProcess);
    } finally {
      await inProcess.close();
    }
  }, 240_000);

  it('ends with the same scorecards as the in-process path, after a consumer died mid-batch and a nak', async () => {
    const env = { ...brokerEnv(), EVENTS_ACK_WAIT_MS: '1000', SCORECARD_CONSUMER: 'broker', AUDIT_CONSUMER: 'broker' };
    const durable = SCORECARD_BROKER_SUBSCRIPTION.durable;
    // The stream and the persistor's durable consumer exist before the app, the consumer as
    // an older release made it (no ordering): the app brings it to its config.
    const nc = await connect({ servers: SHARED_NATS_URL });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: env.EVENTS_STREAM, subjects: [`${env.EVENTS_SUBJECT_PREFIX}.>`] });
    const unordered = { ...SCORECARD_BROKER_SUBSCRIPTION, ordered: false };
    await jsm.consumers.add(env.EVENTS_STREAM, brokerConsumerConfig(validateEnv(env), unordered));
    // A consumer of the test's own asks for a batch of the first scorecard messages.
    const doomed = await jetstream(nc).consumers.get(env.EVENTS_STREAM, durable);
    // (It waits long enough for an app on the embedded database to start and settle a job.)
    const batch = await doomed.fetch({ max_messages: 3, expires: 180_000 });

    const t = await startTestApp({ ...common, ...env });
    try {
      // The app's consumer starts in the background and updates the durable's config.
      const updatedBy = Date.now() + 10_000;
      let maxAckPending = 0;
      while (maxAckPending !== 1 && Date.now() < updatedBy) {
        maxAckPending = (await jsm.consumers.info(env.EVENTS_STREAM, durable)).config.max_ack_pending ?? 0;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(maxAckPending).toBe(1);
      // The persistor's 5th write fails once (a sequence is not rolled back with it): its message is nak'd.
      await t.dataSource.query(`CREATE SEQUENCE test_score_writes`);
      await t.dataSource.query(`
        CREATE FUNCTION test_fail_once() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF nextval('test_score_writes') = 5 THEN RAISE EXCEPTION 'injected failure'; END IF;
          RETURN NEW;
        END $$`);
      await t.dataSource.query(
        `CREATE TRIGGER test_fail_once BEFORE INSERT ON prover_score_history FOR EACH ROW EXECUTE FUNCTION test_fail_once()`,
      );
      const dying = (async () => {
        // It takes the first message and works on it (telling JetStream so, past the ack
        // wait) while later ones of its prover pile up, which JetStream gives no one
        // meanwhile; then it dies mid-batch without acking.
        let taken: JsMsg | undefined;
        for await (const m of batch) {
          taken = m;
          break;
        }
        const deadline = Date.now() + 60_000;
        let info = await jsm.consumers.info(env.EVENTS_STREAM, durable);
        while (taken && info.num_pending <= PROVERS && Date.now() < deadline) {
          taken.working();
          await new Promise((r) => setTimeout(r, 100));
          info = await jsm.consumers.info(env.EVENTS_STREAM, durable);
        }
        await nc.close();
        return { taken: taken?.json<{ event_id: string }>().event_id, held: info };
      })();

      const cards = await scenario(t);
      const { taken, held } = await dying;
      expect(taken).toBeDefined();
      expect(held.num_pending).toBeGreaterThan(PROVERS);
      expect(held.num_ack_pending).toBe(1);
      expect(cards).toEqual(expected);
      // The message the dead consumer held came again and was applied once; the nak'd write was retried.
      const applied = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM prover_score_history WHERE event_id = $1`,
        [taken],
      );
      expect(applied[0].n).toBe(1);
      const writes = await t.dataSource.query(`SELECT last_value::int AS n FROM test_score_writes`);
      expect(writes[0].n).toBe(JOBS + 1);
    } finally {
      await nc.close().catch(() => undefined);
      await t.close();
      await deleteStream(SHARED_NATS_URL, env.EVENTS_STREAM);
    }
  }, 240_000);

  it('drains a backlog in stream order per prover (and reports its rate)', async () => {
    const env = { ...brokerEnv(), SCORECARD_CONSUMER: 'broker' };
    const db = await createTestDatabase();
    const provers: { name: string; version: number }[] = [];
    // The provers are registered first (without the broker), so the backlog waits for the consumer.
    const setup = await startTestApp(common, db);
    try {
      const ctx = new ProversCtx(setup);
      for (let i = 0; i < 10; i++) {
        const p = await ctx.workingProver();
        provers.push({ name: p.name, version: Number((await ctx.getProver(p.name).expect(200)).body.version) });
      }
    } finally {
      await setup.close();
    }
    const nc = await connect({ servers: SHARED_NATS_URL });
    const PER_PROVER = 40;
    const order = new Map(provers.map((p) => [p.name, [] as string[]]));
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: env.EVENTS_STREAM, subjects: [`${env.EVENTS_SUBJECT_PREFIX}.>`] });
      const js = jetstream(nc);
      for (let j = 0; j < PER_PROVER; j++) {
        for (const p of provers) {
          const eventId = randomUUID();
          order.get(p.name)!.push(eventId);
          const data = {
            prover_id: p.name,
            delta_success: j % 3 === 0 ? 0 : 1,
            delta_failure: j % 3 === 0 ? 1 : 0,
            new_score_value: 50,
            expected_version: String(p.version + j),
            event_id: eventId,
            emitted_at: new Date().toISOString(),
          };
          const envelope = {
            event_id: eventId,
            type: 'ScorecardUpdate',
            sequence: '1',
            occurred_at: data.emitted_at,
            data,
          };
          await js.publish(`${env.EVENTS_SUBJECT_PREFIX}.scorecard.${p.name}`, JSON.stringify(envelope), {
            msgID: eventId,
          });
        }
      }
    } finally {
      await nc.close();
    }

    const t = await startTestApp({ ...common, ...env }, db);
    try {
      const total = provers.length * PER_PROVER;
      const deadline = Date.now() + 60_000;
      const count = async () =>
        (await t.dataSource.query(`SELECT count(*)::int AS n FROM prover_score_history`))[0].n as number;
      while ((await count()) < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(await count()).toBe(total);
      // Each prover's events were applied in the order they are on the stream.
      const history: { prover_id: string; event_id: string }[] = await t.dataSource.query(
        `SELECT prover_id, event_id FROM prover_score_history ORDER BY prover_id, version`,
      );
      for (const p of provers) {
        expect(history.filter((h) => h.prover_id === p.name).map((h) => h.event_id)).toEqual(order.get(p.name));
      }
      const [span] = await t.dataSource.query(
        `SELECT extract(epoch FROM max(applied_at) - min(applied_at))::float8 AS seconds FROM prover_score_history`,
      );
      const rate = Math.round((total - 1) / span.seconds);
      process.stdout.write(`scorecard consumer drained ${total} events at ${rate} events/s\n`);
      expect(rate).toBeGreaterThan(0);
    } finally {
      await t.close();
      await db.drop();
      await deleteStream(SHARED_NATS_URL, env.EVENTS_STREAM);
    }
  }, 240_000);
});
