/**
 * Ledger benchmark: the built app against a fresh Postgres database, driven over REST.
 *   1. hot account: many users spend into the one platform account;
 *   2. disjoint pairs: each transfer touches two accounts no other transfer touches;
 * then `ledger verify` on the result. Before the app starts it measures its yardsticks on the same
 * server (pgbench TPC-B, raw insert); its target is a ratio to them, printed last with met / NOT met.
 * Usage: npm run bench:ledger   (BENCH_SECONDS, BENCH_CONCURRENCY, BENCH_YARDSTICK_SECONDS,
 *        DATABASE_URL optional)
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  cpuMsOf,
  drive,
  freshDatabase,
  LoadResult,
  measureYardsticks,
  percentile,
  printRatio,
  ratioCondition,
  request,
  runCli,
  startServer,
  verdict,
} from './bench-support';
import { fundedSpenders, spendIntoHotAccount } from './hot-account';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
// Requests in flight. Latency is in-flight requests / throughput (Little's law), so the p99
// target is only meaningful at a stated concurrency; 32 clients drive this machine's one app
// process to its CPU limit.
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const USERS = 256;
/** The target: hot-account transfers/s ≥ 2.0 × pgbench tps, p99 ≤ 25 ms at 32 clients, 0 errors. */
const TARGET_PGBENCH_RATIO = 2.0;
const TARGET_P99_MS = 25;
const TARGET_CLIENTS = 32;

function report(name: string, r: LoadResult, cpuUs: number | undefined): number {
  const tps = r.ok / r.seconds;
  console.log(
    `${name.padEnd(16)} ${tps.toFixed(0).padStart(6)} transfers/s   ` +
      `${cpuUs === undefined ? '' : `${cpuUs.toFixed(0)} µs server CPU/request   `}` +
      `p50 ${percentile(r.latenciesMs, 50).toFixed(1)} ms   p99 ${percentile(r.latenciesMs, 99).toFixed(1)} ms   ` +
      `ok ${r.ok}   errors ${r.errors}`,
  );
  return tps;
}

/**
 * `drive` with the server's CPU time (all its processes) over the whole load, warm-up included,
 * per request sent in it: what one request costs, which a rate hides when the machine is shared.
 */
async function measured(
  pid: number,
  worker: (loop: number, i: number) => Promise<boolean>,
): Promise<{ result: LoadResult; cpuUs: number | undefined }> {
  let requests = 0;
  const before = cpuMsOf(pid);
  const result = await drive(CONCURRENCY, SECONDS, (loop, i) => {
    requests++;
    return worker(loop, i);
  });
  const after = cpuMsOf(pid);
  const cpuUs = before === undefined || after === undefined ? undefined : ((after - before) * 1000) / requests;
  return { result, cpuUs };
}

async function main(): Promise<void> {
  // The yardsticks first, while the app is not running.
  const yardsticks = await measureYardsticks();
  const db = await freshDatabase('tally_bench');
  const adminKey = `tly_bench_${randomBytes(16).toString('hex')}`;
  const env = {
    DATABASE_URL: db.url,
    TALLY_ADMIN_KEY: adminKey,
    RATE_LIMIT_MAX: '100000000',
    DATABASE_POOL_SIZE: '16',
  };
  const server = await startServer(env);
  const admin = { authorization: `Bearer ${adminKey}` };
  try {
    const users = Array.from({ length: USERS }, (_, i) => `bench-${i}`);
    const spenders = await fundedSpenders(server.base, admin, USERS);
    console.log(`Tally ledger benchmark: ${SECONDS}s per phase, ${CONCURRENCY} concurrent clients, ${USERS} users`);

    const { result: hot, cpuUs: hotCpuUs } = await measured(server.pid, (loop, i) =>
      spendIntoHotAccount(server.base, spenders, loop, i),
    );
    const hotTps = report('hot account', hot, hotCpuUs);
    const hotP99 = percentile(hot.latenciesMs, 99);

    const { result: disjoint, cpuUs: disjointCpuUs } = await measured(server.pid, async (loop, i) => {
      const pair = loop % (USERS / 2);
      const [from, to] = i % 2 ? [2 * pair, 2 * pair + 1] : [2 * pair + 1, 2 * pair];
      const res = await request(
        server.base,
        'POST',
        '/v1/credits/transfer',
        { ...admin, 'idempotency-key': randomUUID() },
        {
          from: { account_type: 'user', account_id: users[from] },
          to: { account_type: 'user', account_id: users[to] },
          amount: '0.000001',
        },
      );
      return res.status === 201;
    });
    report('disjoint pairs', disjoint, disjointCpuUs);

    await server.stop();
    const verify = runCli(['ledger', 'verify'], { DATABASE_URL: db.url });
    console.log(`ledger verify: ${verify.code === 0 ? 'OK' : 'FAILED'}\n${verify.output.trim()}`);

    printRatio(
      'hot account',
      hotTps,
      'raw insert',
      yardsticks.rawInsertTps,
      'for information: the ceiling bench:batch is measured against',
    );
    verdict(
      `hot account ≥ ${TARGET_PGBENCH_RATIO.toFixed(1)} × pgbench, p99 ≤ ${TARGET_P99_MS} ms at ${TARGET_CLIENTS} clients, 0 errors`,
      [
        ratioCondition('hot account', hotTps, 'pgbench', yardsticks.pgbenchTps, TARGET_PGBENCH_RATIO),
        {
          label: `hot account p99 = ${hotP99.toFixed(1)} ms at ${CONCURRENCY} clients (target ≤ ${TARGET_P99_MS} ms at ${TARGET_CLIENTS})`,
          met: hotP99 <= TARGET_P99_MS && CONCURRENCY === TARGET_CLIENTS,
        },
        { label: `hot account errors = ${hot.errors} (target 0)`, met: hot.errors === 0 },
      ],
    );
    if (verify.code !== 0) process.exitCode = 1;
  } finally {
    await server.stop().catch(() => undefined);
    await db.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
