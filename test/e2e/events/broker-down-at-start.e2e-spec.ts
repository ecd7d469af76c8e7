import { JobsCtx } from '../../support/jobs-ctx';
import { startTestApp, TestApp } from '../../support/test-app';
import { brokerEnv, OwnNatsServer, readStream } from '../../support/events-ctx';

/**
 * A broker that is not there when Tally starts: Tally serves anyway, its events wait in the
 * outbox and show as DSE-006 past the retry budget; once the broker comes, they all go out.
 */
describe('event broker: down when Tally starts', () => {
  let nats: OwnNatsServer;
  let t: TestApp;
  let env: ReturnType<typeof brokerEnv>;
  beforeAll(async () => {
    nats = await OwnNatsServer.reserve();
    env = brokerEnv(nats.url);
    t = await startTestApp({
      ...env,
      EVENTS_RETRY_BUDGET: '2',
      SCHEDULER_ENABLED: 'false',
      SETTLEMENT_ENABLED: 'false',
    });
  });
  afterAll(async () => {
    await t?.close();
    await nats?.close();
  });

  const backlog = async () =>
    Number((await t.dataSource.query(`SELECT count(*) AS n FROM outbox WHERE broker_published_at IS NULL`))[0].n);

  it('serves, keeps the events, reports DSE-006, then publishes them all once the broker is up', async () => {
    const ctx = new JobsCtx(t);
    const accounts = [ctx.name('client'), ctx.name('client'), ctx.name('client')];
    for (const account of accounts) await ctx.mint('user', account, '5');
    expect((await t.http().get('/ready').expect(200)).body.info.events).toEqual({
      status: 'up',
      transport: 'nats',
      state: 'degraded',
    });
    const deadline = Date.now() + 15_000;
    let failing: { code: string; attempts: number }[] = [];
    while (failing.length < 3 && Date.now() < deadline) {
      failing = (await t.http().get('/v1/events/status').set(ctx.admin()).expect(200)).body.failing;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(failing).toHaveLength(3);
    for (const f of failing) expect(f).toMatchObject({ code: 'DSE-006' });
    expect(await backlog()).toBe(3);

    await nats.resume();
    const drained = Date.now() + 15_000;
    while ((await backlog()) > 0 && Date.now() < drained) await new Promise((r) => setTimeout(r, 50));
    expect(await backlog()).toBe(0);
    expect((await t.http().get('/v1/events/status').set(ctx.admin()).expect(200)).body.failing).toEqual([]);
    const subjects = (await readStream(nats.url, env.EVENTS_STREAM)).map((m) => m.subject);
    for (const account of accounts) {
      expect(subjects).toContain(`${env.EVENTS_SUBJECT_PREFIX}.ledger.transfer.user.${account}`);
    }
  }, 45_000);
});
