import { randomBytes } from 'node:crypto';
import { drainAndCheck, Survival } from './checks';
import { answered, call, sleep } from './http';
import { CHAOS_SETTINGS, DEFAULT_WORKLOAD } from './kill-scenario';
import { OwnPostgres } from './own-postgres';
import { RestartableServer } from './restartable-server';
import { Workload, WorkloadConfig } from './workload';

export interface PostgresRestartScenario {
  /** How each restart stops Postgres, in turn: `fast` (clients disconnected, clean) or `immediate` (a crash). */
  stops: ('fast' | 'immediate')[];
  /** How long Postgres stays down each time. */
  downMs: number;
  /** Load before the first restart, between restarts and after the last. */
  uptimeMs: number;
  workload?: Partial<WorkloadConfig>;
}

export interface Outage {
  stop: 'fast' | 'immediate';
  /** From the stop command to Postgres accepting connections again. */
  seconds: number;
  /** From Postgres accepting connections to the first write answered 201 (null: none within 30 s). */
  resumeMs: number | null;
  /** /ready's answers while Postgres was down. */
  ready: Record<string, number>;
}

/** What the restarts found beyond the common survival checks: each field is what a test expects to be empty. */
export interface OutageFindings {
  /** Outages after which writes took longer than 5 s to resume, or never did. */
  slowResumes: string[];
  /** Outages during which /ready answered anything but 503 while Postgres was down, or never 503. */
  readyNot503: string[];
  /** /health's answers other than 200, at any time. */
  healthNot200: Record<string, number>;
}

export interface PostgresRestartReport extends Survival {
  outageFindings: OutageFindings;
  outages: Outage[];
  /** Answers per second to the clients before the first restart. */
  loadRate: number;
  figures: string;
}

/** Writes must be answered 201 again this soon after Postgres accepts connections. */
export const RESUME_WITHIN_MS = 5_000;

/**
 * The compiled server on a Postgres cluster of the test's own, under load, while that
 * cluster is stopped and started again; /health and /ready are probed every 100 ms
 * throughout. Then drained and checked (see drainAndCheck).
 */
export async function runPostgresRestartScenario(
  pg: OwnPostgres,
  s: PostgresRestartScenario,
): Promise<PostgresRestartReport> {
  const adminKey = `tly_chaos_${randomBytes(16).toString('hex')}`;
  const dbEnv = { DATABASE_URL: pg.url() };
  const server = await RestartableServer.create({
    ...CHAOS_SETTINGS,
    ...dbEnv,
    TALLY_ADMIN_KEY: adminKey,
    RECEIPT_SIGNING_KEY_HEX: randomBytes(32).toString('hex'),
  });
  const workload = new Workload(server.url, adminKey, { ...DEFAULT_WORKLOAD, ...s.workload });
  const started = Date.now();
  const health: Record<string, number> = {};
  let readyWhileDown: Record<string, number> | undefined;
  let probing = true;
  const count = (into: Record<string, number>, label: string) => (into[label] = (into[label] ?? 0) + 1);
  const outages: Outage[] = [];
  // Probed from the moment the server listens: it must never stop answering /health after that.
  let probes: Promise<void> = Promise.resolve();
  try {
    await server.start();
    probes = (async () => {
      while (probing) {
        const [h, r] = await Promise.all(
          ['/health', '/ready'].map((path) => call(server.url, 'GET', path, { timeoutMs: 5_000 })),
        );
        count(health, answered(h) ? String(h.status) : `no answer (${h.error})`);
        if (readyWhileDown) count(readyWhileDown, answered(r) ? String(r.status) : 'no answer');
        await sleep(100);
      }
    })();
    await workload.setUp();
    workload.start();
    const loadFrom = Date.now();
    await sleep(s.uptimeMs);
    const loadRate = workload.tally.answeredIn('load') / ((Date.now() - loadFrom) / 1000);

    for (const [i, stop] of s.stops.entries()) {
      workload.tally.window = `outage ${i + 1} (${stop} stop)`;
      const stopped = Date.now();
      await pg.stop(stop);
      const ready: Record<string, number> = {};
      readyWhileDown = ready;
      await sleep(s.downMs);
      readyWhileDown = undefined;
      await pg.start();
      const back = Date.now();
      // A server that died meanwhile (recorded as an unexpected exit) is started again, so the checks can go on.
      if (!server.running) await server.start();
      let resumeMs: number | null = null;
      while (Date.now() - back < 30_000) {
        if (workload.lastWriteAt > back) {
          resumeMs = workload.lastWriteAt - back;
          break;
        }
        await sleep(10);
      }
      outages.push({ stop, seconds: (back - stopped) / 1000, resumeMs, ready });
      workload.tally.window = `after outage ${i + 1}`;
      await sleep(s.uptimeMs);
    }

    // The probes end before the checks, which stop the server.
    probing = false;
    await probes;
    const survival = await drainAndCheck(
      server,
      workload,
      adminKey,
      dbEnv,
      Number(CHAOS_SETTINGS.JOB_WALL_CLOCK_TTL_MS) + 15_000,
    );
    const outageFindings: OutageFindings = {
      slowResumes: outages
        .filter((o) => o.resumeMs === null || o.resumeMs > RESUME_WITHIN_MS)
        .map((o) => `after the ${o.stop} stop: ${o.resumeMs === null ? 'no write within 30 s' : `${o.resumeMs} ms`}`),
      readyNot503: outages
        .filter((o) => !o.ready['503'] || Object.keys(o.ready).some((status) => status !== '503'))
        .map((o) => `while down after the ${o.stop} stop: ${JSON.stringify(o.ready)}`),
      healthNot200: Object.fromEntries(Object.entries(health).filter(([status]) => status !== '200')),
    };
    const figures = [
      `load: ${loadRate.toFixed(0)} answers/s to the clients before the first restart; whole run ${((Date.now() - started) / 1000).toFixed(1)} s`,
      ...outages.map(
        (o, i) =>
          `outage ${i + 1}: ${o.stop} stop, Postgres down ${o.seconds.toFixed(1)} s; first write 201 ` +
          `${o.resumeMs === null ? 'never (30 s)' : `${o.resumeMs} ms`} after it was back; /ready while down ${JSON.stringify(o.ready)}`,
      ),
      `/health throughout: ${JSON.stringify(health)}; server exits ${server.unexpectedExits.length}`,
      ...survival.lines,
    ].join('\n  ');
    return { ...survival, outageFindings, outages, loadRate, figures };
  } finally {
    probing = false;
    await probes;
    if (server.running) await server.kill();
  }
}
