import { randomBytes } from 'node:crypto';
import { drainAndCheck, Survival } from './checks';
import { answered, call, sleep } from './http';
import { RestartableServer } from './restartable-server';
import { Workload, WorkloadConfig } from './workload';

/**
 * The server's settings in a fault test: short timeouts so a lost job surfaces within the
 * test, a frequent seal so settlement batches are cut between kills, no rate limit.
 */
export const CHAOS_SETTINGS = {
  /**
   * A RUNNING job its prover does not list as running goes back to ASSIGNED after this long:
   * short, yet longer than a heartbeat's round trip on a busy machine, so a job whose poll
   * answer is still on its way is never taken back.
   */
  PROVER_START_ACK_GRACE_MS: '3000',
  /** A job still ASSIGNED or RUNNING this long after its assignment fails, refunded. */
  JOB_WALL_CLOCK_TTL_MS: '30000',
  /** Longer than any restart here, so a prover is never taken for offline while the server is down. */
  PROVER_LIVENESS_TTL_MS: '30000',
  PLATFORM_FEE_BPS: '1000',
  SETTLEMENT_SEAL_CRON: '*/5 * * * * *',
  RATE_LIMIT_MAX: '100000000',
  DATABASE_POOL_SIZE: '10',
};

export const DEFAULT_WORKLOAD: WorkloadConfig = {
  clients: 4,
  provers: 4,
  pollLoops: 3,
  spendLoops: 2,
  transferLoops: 2,
  holdLoops: 2,
  submitLoops: 4,
  maxUnsettledJobs: 24,
  maxCostMicros: 5_000_000n,
  platformFeeBps: BigInt(CHAOS_SETTINGS.PLATFORM_FEE_BPS),
  heartbeatMs: 300,
  workMs: 100,
  pauseMs: 0,
  losePollAnswers: 3,
};

/** When to SIGKILL: at a random instant of each uptime, or right as a job settles. */
export type KillTiming = 'random' | 'after-settlement';

export interface KillScenario {
  /** The database's environment (DATABASE_URL, or TALLY_DATA_DIR for the embedded one). */
  dbEnv: Record<string, string>;
  kills: number;
  timing: KillTiming;
  /** Each uptime before a kill (or before a settlement kill is armed), drawn in this range. */
  uptimeMs: [number, number];
  workload?: Partial<WorkloadConfig>;
  /** Settings of the server beyond CHAOS_SETTINGS. */
  settings?: Record<string, string>;
}

export interface KillReport extends Survival {
  kills: number;
  settledJobs: number;
  figures: string;
}

/**
 * The compiled server on the given database, under the workload, SIGKILLed `kills` times
 * and started again on the same database and port each time; then drained and checked
 * (see drainAndCheck).
 */
export async function runKillScenario(s: KillScenario): Promise<KillReport> {
  const adminKey = `tly_chaos_${randomBytes(16).toString('hex')}`;
  const env = {
    ...CHAOS_SETTINGS,
    ...s.settings,
    ...s.dbEnv,
    TALLY_ADMIN_KEY: adminKey,
    // The same signing key across restarts, as a deployment keeps it.
    RECEIPT_SIGNING_KEY_HEX: randomBytes(32).toString('hex'),
  };
  const server = await RestartableServer.create(env);
  const workload = new Workload(server.url, adminKey, { ...DEFAULT_WORKLOAD, ...s.workload });
  const started = Date.now();
  const downMs: number[] = [];
  try {
    await server.start();
    await workload.setUp();
    workload.start();
    for (let k = 0; k < s.kills; k++) {
      await sleep(between(s.uptimeMs));
      const exited =
        s.timing === 'random' ? server.kill() : (await killAtSettlement(server, workload, k, adminKey)).exited;
      const killedAt = Date.now();
      await exited;
      await server.start();
      downMs.push(Date.now() - killedAt);
    }
    workload.onSettled = undefined;
    await sleep(1_000); // load on the last start too
    // Long enough for the wall clock to end a job lost in a kill, so the test names it.
    const survival = await drainAndCheck(
      server,
      workload,
      adminKey,
      s.dbEnv,
      Number(env.JOB_WALL_CLOCK_TTL_MS) + 15_000,
    );
    const seconds = (ms: number) => (ms / 1000).toFixed(1);
    const figures = [
      `kills: ${server.kills} (${s.timing}); down ${downMs.map(seconds).join(' / ')} s from SIGKILL to /health 200 ` +
        `(the start alone ${server.startMs.slice(1).map(seconds).join(' / ')} s); whole run ${seconds(Date.now() - started)} s`,
      ...survival.lines,
    ].join('\n  ');
    return { ...survival, kills: server.kills, settledJobs: workload.settledJobs, figures };
  } finally {
    workload.onSettled = undefined;
    if (server.running) await server.kill();
  }
}

/**
 * Arms a kill for the next settlement and resolves once it has fired. In turn: the moment
 * a report's 201 COMPLETED arrives; the moment the admin job list shows a job COMPLETED
 * (settled, its audit not yet recorded); 20-150 ms after a report's 201, while the
 * settlement's events are being handled.
 */
async function killAtSettlement(
  server: RestartableServer,
  workload: Workload,
  k: number,
  adminKey: string,
): Promise<{ exited: ReturnType<RestartableServer['kill']> }> {
  const deadline = Date.now() + 60_000;
  const check = () => {
    if (Date.now() > deadline || !server.running) throw new Error(`no settlement within a minute of arming kill ${k}`);
  };
  if (k % 3 === 1) {
    for (;;) {
      check();
      const a = await call(server.url, 'GET', '/v1/admin/jobs?status=COMPLETED&limit=1', {
        headers: { authorization: `Bearer ${adminKey}` },
      });
      if (answered(a) && a.status === 200 && a.body.items.length > 0) return { exited: server.kill() };
      await sleep(5);
    }
  }
  const delayMs = k % 3 === 0 ? 0 : between([20, 150]);
  let fired: ReturnType<RestartableServer['kill']> | undefined;
  workload.onSettled = () => {
    workload.onSettled = undefined;
    if (delayMs === 0) fired = server.kill();
    else setTimeout(() => (fired = server.kill()), delayMs);
  };
  while (!fired) {
    check();
    await sleep(5);
  }
  return { exited: fired };
}

function between([lo, hi]: [number, number]): number {
  return lo + Math.random() * (hi - lo);
}
