import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { brokerConsumerConfig } from '@tally/database';
import { SCORECARD_BROKER_SUBSCRIPTION } from '@tally/provers';
import { validateEnv } from '@tally/shared';
import { ProversCtx } from '../../support/provers-ctx';
import { startTestApp, TestApp } from '../../support/test-app';
import { brokerEnv, deleteStream, SHARED_NATS_URL } from '../../support/events-ctx';

const JOBS = 12;
/** Each prover's outcome, the same for all its jobs (so a redelivered event's place in the order does not change its score). */
const OUTCOMES = [true, false, true];
const common = { SCHEDULER_ENABLED: 'false', SETTLEMENT_ENABLED: 'false', SCORE_DECAY_HALF_LIFE_MS: '0' };

/** Runs the same jobs on three provers; returns each prover's scorecard (by its place), once all are applied. */
async function scenario(t: TestApp): Promise<Record<string, unknown>[]> {
  const ctx = new ProversCtx(t);
  const client = await ctx.fundedClient(String(JOBS * 2));
  const provers = [await ctx.workingProver(), await ctx.workingProver(), await ctx.workingProver()];
  const ids: string[] = [];
  for (let i = 0; i < JOBS; i++) {
    const n = i % provers.length;
    const id = await ctx.running(client.key, [provers[n]], { max_cost_micros: 1_000_000 });
    await ctx
      .report(
        id,
        provers[n].key,
        OUTCOMES[n] ? { success: true, final_cost_micros: 400_000 } : { success: false, error_message: 'boom' },
      )
      .expect(201);
    ids.push(id);
  }
  // The audit entries come through the recorder (from the broker when so configured).
  for (const [i, id] of ids.entries()) {
    const settled = OUTCOMES[i % provers.length] ? 'AUDITED' : 'FAILED';
    expect(await ctx.waitForStatus(id, settled, 20_000)).toBe(settled);
  }
  const audited = await t.dataSource.query(`SELECT count(*)::int AS n FROM job_audit_log`);
  expect(audited[0].n).toBe(JOBS);
  return Promise.all(
    provers.map(async (p) => {
      const card = await ctx.waitForScoreVersion(p.name, JOBS / provers.length, 20_000);
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
 * read from durable JetStream consumers. A consumer that took messages and died without
 * acking them gets them delivered again, and the scorecards end as on the in-process path.
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
  }, 60_000);

  it('ends with the same scorecards as the in-process path, after a consumer died mid-batch', async () => {
    const env = { ...brokerEnv(), EVENTS_ACK_WAIT_MS: '1000', SCORECARD_CONSUMER: 'broker', AUDIT_CONSUMER: 'broker' };
    // The stream and the persistor's durable consumer exist before the app: a consumer of the
    // test's own takes the first scorecard messages and dies without acking them.
    const nc = await connect({ servers: SHARED_NATS_URL });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: env.EVENTS_STREAM, subjects: [`${env.EVENTS_SUBJECT_PREFIX}.>`] });
    await jsm.consumers.add(env.EVENTS_STREAM, brokerConsumerConfig(validateEnv(env), SCORECARD_BROKER_SUBSCRIPTION));
    const doomed = await jetstream(nc).consumers.get(env.EVENTS_STREAM, SCORECARD_BROKER_SUBSCRIPTION.durable);
    const batch = await doomed.fetch({ max_messages: 3, expires: 30_000 });
    // Event ids (a message it held past the ack wait may come to it again: counted once).
    const taken = new Set<string>();
    let received = 0;
    const dying = (async () => {
      for await (const m of batch) {
        taken.add(m.json<{ event_id: string }>().event_id);
        if (++received === 3) break; // killed mid-batch: nothing acked
      }
      await nc.close();
    })();

    const t = await startTestApp({ ...common, ...env });
    try {
      const cards = await scenario(t);
      await dying;
      expect(received).toBe(3);
      expect(cards).toEqual(expected);
      // The messages the dead consumer held were delivered again and applied once each.
      const applied = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM prover_score_history WHERE event_id = ANY($1::uuid[])`,
        [[...taken]],
      );
      expect(applied[0].n).toBe(taken.size);
    } finally {
      await t.close();
      await deleteStream(SHARED_NATS_URL, env.EVENTS_STREAM);
    }
  }, 60_000);
});
