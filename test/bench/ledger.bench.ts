/**
 * Ledger benchmark: the built app against a fresh Postgres database, driven over REST.
 *   1. hot account: many users spend into the one platform account;
 *   2. disjoint pairs: each transfer touches two accounts no other transfer touches;
 * then `ledger verify` on the result, and pgbench TPC-B on the same server as a yardstick.
 * Usage: npm run bench:ledger   (BENCH_SECONDS, BENCH_CONCURRENCY, DATABASE_URL optional)
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  drive,
  freshDatabase,
  LoadResult,
  percentile,
  pgbenchTps,
  request,
  runCli,
  startServer,
} from './bench-support';
import { fundedSpenders, spendIntoHotAccount } from './hot-account';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
// Requests in flight. Latency is in-flight requests / throughput (Little's law), so the p99
// target is only meaningful at a stated concurrency; 32 clients drive this machine's one app
// process to its CPU limit.
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const USERS = 256;

function report(name: string, r: LoadResult): number {
  const tps = r.ok / r.seconds;
  console.log(
    `${name.padEnd(16)} ${tps.toFixed(0).padStart(6)} transfers/s   p50 ${percentile(r.latenciesMs, 50).toFixed(1)} ms   ` +
      `p99 ${percentile(r.latenciesMs, 99).toFixed(1)} ms   ok ${r.ok}   errors ${r.errors}`,
  );
  return tps;
}

async function main(): Promise<void> {
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

    const hot = await drive(CONCURRENCY, SECONDS, (loop, i) => spendIntoHotAccount(server.base, spenders, loop, i));
    const hotTps = report('hot account', hot);
    const hotP99 = percentile(hot.latenciesMs, 99);
    const met = hotTps >= 1500 && hotP99 <= 50 && hot.errors === 0;
    console.log(`target (hot account >= 1,500/s, p99 <= 50 ms, 0 errors): ${met ? 'met' : 'NOT met'}`);

    const disjoint = await drive(CONCURRENCY, SECONDS, async (loop, i) => {
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
    report('disjoint pairs', disjoint);

    await server.stop();
    const verify = runCli(['ledger', 'verify'], { DATABASE_URL: db.url });
    console.log(`ledger verify: ${verify.code === 0 ? 'OK' : 'FAILED'}\n${verify.output.trim()}`);

    const pgbench = await pgbenchTps(SECONDS);
    if (pgbench) {
      console.log(
        `pgbench TPC-B -s 1 -c 8: ${pgbench.toFixed(0)} tps; hot-account transfers over REST / pgbench = ${(hotTps / pgbench).toFixed(2)}`,
      );
    } else {
      console.log('pgbench not available: ratio skipped');
    }
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
