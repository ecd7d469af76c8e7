import { SchedulerRegistry } from '@nestjs/schedule';
import { DatabaseProbe } from '../../apps/api/src/operations/health/database-probe';
import { LOOP_STALE_FLOOR_MS } from '../../apps/api/src/operations/health/dependency-probes';
import { READY_RETRY_AFTER_SECONDS } from '../../apps/api/src/operations/health/health.controller';
import { SWEEP_INTERVAL } from '@tally/scheduler';
import { brokerEnv, OwnNatsServer } from '../support/events-ctx';
import { until } from '../support/webhook-receiver';
import { startTestApp, TestApp } from '../support/test-app';

const admin = (t: TestApp) => ({ Authorization: `Bearer ${t.adminKey}` });

interface Report {
  name: string;
  state: string;
  critical: boolean;
  message?: string;
  last_error?: { message: string; at: string };
}
const byName = (body: { dependencies: Report[] }) => Object.fromEntries(body.dependencies.map((d) => [d.name, d]));

describe('readiness covers the database, migrations and the background loops', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());
  afterEach(() => jest.restoreAllMocks());

  it('is ready with every loop alive, and /health/details lists each dependency', async () => {
    const res = await t.http().get('/ready');
    expect(res.body).toMatchObject({ status: 'ok' });
    expect(res.status).toBe(200);
    expect(res.headers['retry-after']).toBeUndefined();
    for (const name of [
      'database',
      'migrations',
      'scheduler.assign',
      'scheduler.sweep',
      'settlement.deliver',
      'settlement.seal',
    ]) {
      expect(res.body.info[name]).toMatchObject({ status: 'up' });
    }
    expect(res.body.info.events).toBeUndefined(); // no broker configured

    const details = await t.http().get('/health/details').set(admin(t)).expect(200);
    expect(details.body).toMatchObject({ status: 'ready', checked_at: expect.any(String) });
    expect(byName(details.body)).toMatchObject({
      database: { state: 'up', critical: true },
      migrations: { state: 'up', critical: true },
      'scheduler.assign': { state: 'up', critical: true, interval_ms: 250, last_run_at: expect.any(String) },
      'settlement.deliver': { state: 'up', critical: true },
      events: { state: 'off', critical: false },
    });
  });

  it('times each loop run on /metrics (the scheduler tick, the delivery pass)', async () => {
    for (const loop of ['scheduler.assign', 'scheduler.sweep', 'settlement.deliver']) {
      const count = new RegExp(
        `^tally_loop_duration_seconds_count\\{loop="${loop.replace('.', '\\.')}",outcome="ok"\\} (\\d+)$`,
        'm',
      );
      // The sweep runs once a second: just after the app starts it may not have run yet.
      const runs = await until(async () => {
        const text = (await t.http().get('/metrics').expect(200)).text;
        return text.match(count)?.[1];
      }, `a timed ${loop} run`);
      expect(Number(runs)).toBeGreaterThan(0);
    }
  });

  it('/health/details is for admins only', async () => {
    const res = await t.http().get('/health/details').expect(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('a failing database makes it 503 with Retry-After, and /health/details keeps the last error', async () => {
    jest.spyOn(t.app.get(DatabaseProbe), 'ping').mockRejectedValue(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
    const res = await t.http().get('/ready').expect(503);
    expect(res.headers['retry-after']).toBe(String(READY_RETRY_AFTER_SECONDS));
    expect(res.body.error.database).toEqual({ status: 'down', message: 'connect ECONNREFUSED 127.0.0.1:5432' });
    const down = byName((await t.http().get('/health/details').set(admin(t)).expect(200)).body);
    expect(down.database).toMatchObject({ state: 'down', message: 'connect ECONNREFUSED 127.0.0.1:5432' });

    jest.restoreAllMocks();
    await t.http().get('/ready').expect(200);
    const details = (await t.http().get('/health/details').set(admin(t)).expect(200)).body;
    expect(details.status).toBe('ready');
    expect(byName(details).database).toMatchObject({
      state: 'up',
      last_error: { message: 'connect ECONNREFUSED 127.0.0.1:5432', at: expect.any(String) },
    });
  });

  // Last: it stops the app's sweep for good.
  it(
    'a loop that stopped running makes it 503, naming the loop',
    async () => {
      t.app.get(SchedulerRegistry).deleteInterval(SWEEP_INTERVAL);
      const deadline = Date.now() + LOOP_STALE_FLOOR_MS + 5_000;
      let res = await t.http().get('/ready');
      while (res.status === 200 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        res = await t.http().get('/ready');
      }
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe(String(READY_RETRY_AFTER_SECONDS));
      expect(res.body.error[SWEEP_INTERVAL]).toMatchObject({
        status: 'down',
        message: expect.stringMatching(/^no completed run for \d+ s/),
      });
      expect(res.body.info['scheduler.assign']).toMatchObject({ status: 'up' });
      const details = (await t.http().get('/health/details').set(admin(t)).expect(200)).body;
      expect(details.status).toBe('not_ready');
      expect(byName(details)[SWEEP_INTERVAL]).toMatchObject({ state: 'down', critical: true });
      await t.http().get('/health').expect(200); // liveness does not depend on it
    },
    LOOP_STALE_FLOOR_MS + 15_000,
  );
});

describe('readiness with the event broker away', () => {
  let nats: OwnNatsServer;
  let t: TestApp;
  beforeAll(async () => {
    nats = await OwnNatsServer.reserve();
    t = await startTestApp({ ...brokerEnv(nats.url), SCHEDULER_ENABLED: 'false', SETTLEMENT_ENABLED: 'false' });
  });
  afterAll(async () => {
    await t?.close();
    await nats?.close();
  });

  it('stays 200, reporting the broker degraded, and /health/details gives its last error', async () => {
    const res = await t.http().get('/ready').expect(200);
    expect(res.body.info.events).toEqual({ status: 'up', transport: 'nats', state: 'degraded' });
    // Without the scheduler and settlement, their loops are not checked.
    expect(res.body.info['scheduler.assign']).toBeUndefined();
    const deadline = Date.now() + 10_000;
    let events: Report | undefined;
    do {
      events = byName((await t.http().get('/health/details').set(admin(t)).expect(200)).body).events;
      if (!events.last_error) await new Promise((r) => setTimeout(r, 100));
    } while (!events.last_error && Date.now() < deadline);
    expect(events).toMatchObject({ state: 'degraded', critical: false, last_error: { message: expect.any(String) } });
  }, 20_000);
});
