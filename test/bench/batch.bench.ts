/**
 * Batch benchmark: the built app against a fresh Postgres database, driven with
 * POST /v1/credits/transfers/batch (8,190 items a request):
 *   1. hot account: admin transfers from 1,000 funded users into one account, 1 client, then 4;
 *   2. random pairs: transfers between random pairs of 10,000 funded accounts;
 *   3. linked chains: chains of 2–5 transfers, one chain in ten ending in an overdraft, every
 *      outcome checked (a failed chain's items all rejected, every other item ok);
 * then `ledger verify`. Each phase prints transfers/s, batch latency p50/p99, the CPU the
 * server and the database's backends used per transfer, and what the database sessions
 * waited on (pg_stat_activity sampled). It first measures its yardsticks (pgbench TPC-B, raw
 * insert); its target is a ratio to raw insert, printed last with met / NOT met.
 * Usage: npm run bench:batch   (BENCH_SECONDS, BENCH_BATCH_SIZE, BENCH_PHASES, BENCH_CPU_PROF=1,
 *        BENCH_YARDSTICK_SECONDS, DATABASE_URL optional)
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import {
  cpuMsOf,
  cpuProfileDir,
  DatabaseSample,
  DatabaseSampler,
  formatStatements,
  formatWaits,
  freshDatabase,
  measureYardsticks,
  percentile,
  printRatio,
  RAW_INSERT_TRANSFERS,
  ratioCondition,
  request,
  runCli,
  startServer,
  summariseCpuProfile,
  verdict,
  WARMUP_SECONDS,
  Yardsticks,
} from './bench-support';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
/** Items a request: the route's limit, the raw-insert yardstick's transaction size. */
const BATCH = Number(process.env.BENCH_BATCH_SIZE ?? RAW_INSERT_TRANSFERS);
const HOT_SPENDERS = 1_000;
const PAIR_ACCOUNTS = 10_000;
/** Concurrent clients of the random-pair and linked-chain phases. */
const CLIENTS = 4;
/** One chain in this many ends in an overdraft and fails as a whole. */
const FAILING_CHAIN_EVERY = 10;
/** The target: batch hot-account transfers/s ≥ 0.6 × raw insert. */
const TARGET_RAW_INSERT_RATIO = 0.6;
/** Phases to run (all by default): `hot`, `pairs`, `chains`; e.g. `hot` alone for a profile of that path. */
const PHASES = new Set((process.env.BENCH_PHASES ?? 'hot,pairs,chains').split(',').map((p) => p.trim()));

const MICRO = '0.000001';
/** More than any account of the benchmark ever holds: the overdraft that fails a chain. */
const OVERDRAFT = '1000000000';

type Headers = Record<string, string>;
interface Account {
  account_type: 'user';
  account_id: string;
}
interface Outcome {
  index: number;
  id: string;
  status: 'ok' | 'rejected';
  code?: string;
  reason?: string;
  detail?: string;
}
interface BatchResponse {
  posted: number;
  rejected: number;
  items: Outcome[];
}

const user = (id: string): Account => ({ account_type: 'user', account_id: id });
const pick = (n: number) => Math.floor(Math.random() * n);

function transfer(from: Account, to: Account, amount = MICRO, linked = false) {
  return { id: randomUUID(), kind: 'transfer', from, to, amount, ...(linked ? { linked: true } : {}) };
}

async function postBatch(base: string, admin: Headers, items: unknown[]): Promise<BatchResponse> {
  const res = await request(base, 'POST', '/v1/credits/transfers/batch', admin, { items });
  if (res.status !== 200) throw new Error(`batch: ${res.status} ${res.body.slice(0, 300)}`);
  return JSON.parse(res.body) as BatchResponse;
}

/** Mints `amount` into each account, a batch at a time; every item must post. */
async function fund(base: string, admin: Headers, accounts: Account[], amount: string): Promise<void> {
  for (let at = 0; at < accounts.length; at += BATCH) {
    const items = accounts.slice(at, at + BATCH).map((a) => ({ id: randomUUID(), kind: 'mint', ...a, amount }));
    const res = await postBatch(base, admin, items);
    if (res.posted !== items.length) {
      throw new Error(
        `funding: ${res.rejected} rejected, e.g. ${JSON.stringify(res.items.find((o) => o.status !== 'ok'))}`,
      );
    }
  }
}

interface BatchLoad {
  /** Batches whose outcomes were all as expected, and the others (warm-up included). */
  ok: number;
  errors: number;
  /** Batches sent, warm-up included. */
  sent: number;
  transfersPerSecond: number;
  /** Latency of the batches that ended after the warm-up. */
  latenciesMs: number[];
}

/**
 * `clients` loops post batches for WARMUP_SECONDS + SECONDS. A batch takes seconds, so rather
 * than count whole requests (as `drive` does), each good batch counts for the share of its
 * span that falls in the measured window (after the warm-up, before the end): the rate is
 * not skewed by the batches in flight at either edge.
 */
async function driveBatches(clients: number, transfers: number, send: () => Promise<boolean>): Promise<BatchLoad> {
  const from = Date.now() + WARMUP_SECONDS * 1000;
  const until = from + SECONDS * 1000;
  const load: BatchLoad = { ok: 0, errors: 0, sent: 0, transfersPerSecond: 0, latenciesMs: [] };
  let counted = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (Date.now() < until) {
        const start = Date.now();
        load.sent++;
        const good = await send();
        const end = Date.now();
        if (good) load.ok++;
        else load.errors++;
        if (end > from) load.latenciesMs.push(end - start);
        const overlap = Math.min(end, until) - Math.max(start, from);
        if (good && overlap > 0) counted += (transfers * overlap) / Math.max(1, end - start);
      }
    }),
  );
  load.transfersPerSecond = counted / SECONDS;
  return load;
}

/** The server's transaction retries so far (serialization failures, deadlocks), from its metrics. */
async function retries(base: string): Promise<Map<string, number>> {
  const res = await request(base, 'GET', '/metrics', {});
  const counts = new Map<string, number>();
  for (const m of res.body.matchAll(/^tally_transaction_retries_total\{reason="(\w+)"\} (\d+)/gm)) {
    counts.set(m[1], Number(m[2]));
  }
  return counts;
}

interface PhaseResult {
  name: string;
  transfersPerSecond: number;
  load: BatchLoad;
}

/**
 * Runs one phase: `clients` loops each posting a batch per call (`send` resolves to true when
 * every outcome is as expected, and carries `transfers` posted transfers), with the server's
 * and the database backends' CPU and the sessions' waits measured over it.
 */
async function phase(
  name: string,
  clients: number,
  transfers: number,
  server: { base: string; pid: number },
  sampler: DatabaseSampler,
  send: () => Promise<boolean>,
): Promise<PhaseResult & { db: DatabaseSample }> {
  let firstError: string | undefined;
  // CPU over the whole phase, warm-up included, per transfer sent in it.
  const serverCpu = cpuMsOf(server.pid);
  const retriesBefore = await retries(server.base);
  const driverCpu = process.cpuUsage();
  await sampler.start();
  const load = await driveBatches(clients, transfers, async () => {
    try {
      return await send();
    } catch (error) {
      firstError ??= (error as Error).message;
      return false;
    }
  });
  const db = await sampler.stop();
  const serverCpuAfter = cpuMsOf(server.pid);
  const driver = process.cpuUsage(driverCpu);
  const retried = [...(await retries(server.base))].map(
    ([reason, n]) => `${reason} ${n - (retriesBefore.get(reason) ?? 0)}`,
  );
  const sent = load.sent * transfers;
  const perTransfer = (ms: number | undefined) => (ms === undefined ? 'n/a' : `${((ms * 1000) / sent).toFixed(1)} µs`);
  const tps = load.transfersPerSecond;
  console.log(
    `${name.padEnd(24)} ${Math.round(tps).toLocaleString('en').padStart(8)} transfers/s   ` +
      `batch p50 ${percentile(load.latenciesMs, 50).toFixed(0)} ms   p99 ${percentile(load.latenciesMs, 99).toFixed(0)} ms   ` +
      `batches ok ${load.ok}   errors ${load.errors}`,
  );
  console.log(
    `${''.padEnd(24)} CPU per transfer: server ${perTransfer(
      serverCpu === undefined || serverCpuAfter === undefined ? undefined : serverCpuAfter - serverCpu,
    )}, database backends ${perTransfer(db.backendCpuMs)}, this driver ${perTransfer((driver.user + driver.system) / 1000)}`,
  );
  console.log(`${''.padEnd(24)} database sessions: ${formatWaits(db)}`);
  for (const line of formatStatements(db)) console.log(`${''.padEnd(24)}   in ${line}`);
  console.log(`${''.padEnd(24)} transactions retried by the server: ${retried.join(', ') || 'none'}`);
  if (firstError) console.log(`${''.padEnd(24)} first error: ${firstError}`);
  return { name, transfersPerSecond: tps, load, db };
}

/**
 * One linked-chain batch: chains of 2–5 transfers between random funded accounts filling
 * BATCH items (lengths and failures fixed per batch, their order shuffled, so every batch posts
 * the same number); one chain in FAILING_CHAIN_EVERY ends in an overdraft. Returns the items
 * and, per item, the outcome it must get.
 */
function chainBatch(accounts: Account[]): {
  items: unknown[];
  expected: ('ok' | 'overdraft' | 'linked')[];
  chains: number;
} {
  const lengths: number[] = [];
  for (let left = BATCH; left >= 2;) {
    let length = Math.min(2 + (lengths.length % 4), left);
    // A remainder of 1 would be a chain of one: this chain takes one more or one fewer.
    if (left - length === 1) length = length > 2 ? length - 1 : length + 1;
    lengths.push(length);
    left -= length;
  }
  const chains = lengths.map((length, i) => ({ length, fails: i % FAILING_CHAIN_EVERY === FAILING_CHAIN_EVERY - 1 }));
  for (let i = chains.length - 1; i > 0; i--) {
    const j = pick(i + 1);
    [chains[i], chains[j]] = [chains[j], chains[i]];
  }
  const items: unknown[] = [];
  const expected: ('ok' | 'overdraft' | 'linked')[] = [];
  for (const { length, fails } of chains) {
    for (let k = 0; k < length; k++) {
      const last = k === length - 1;
      const from = accounts[pick(accounts.length)];
      let to = accounts[pick(accounts.length)];
      while (to === from) to = accounts[pick(accounts.length)];
      items.push(transfer(from, to, fails && last ? OVERDRAFT : MICRO, !last));
      expected.push(!fails ? 'ok' : last ? 'overdraft' : 'linked');
    }
  }
  return { items, expected, chains: chains.length };
}

/** Whether every outcome is the one expected; the first difference is thrown (and printed once). */
function checkChains(res: BatchResponse, expected: ('ok' | 'overdraft' | 'linked')[]): boolean {
  if (res.items.length !== expected.length)
    throw new Error(`${res.items.length} outcomes for ${expected.length} items`);
  res.items.forEach((o, i) => {
    const want = expected[i];
    const right =
      want === 'ok'
        ? o.status === 'ok'
        : want === 'overdraft'
          ? o.status === 'rejected' && o.code === 'DSE-008'
          : o.status === 'rejected' && o.reason === 'linked_event_failed';
    if (!right) throw new Error(`item ${i}: expected ${want}, got ${JSON.stringify(o)}`);
  });
  return true;
}

async function main(): Promise<void> {
  // The yardsticks first, while the app is not running.
  const yardsticks = await measureYardsticks();
  const profileDir = cpuProfileDir();
  const db = await freshDatabase('tally_bench_batch');
  try {
    await benchmark(db, yardsticks, profileDir);
  } finally {
    // Dropped even when the server fails to start.
    await db.drop();
  }
}

async function benchmark(
  db: { url: string; name: string },
  yardsticks: Yardsticks,
  profileDir: string | undefined,
): Promise<void> {
  const adminKey = `tly_bench_${randomBytes(16).toString('hex')}`;
  const server = await startServer({
    DATABASE_URL: db.url,
    TALLY_ADMIN_KEY: adminKey,
    RATE_LIMIT_MAX: '100000000',
    DATABASE_POOL_SIZE: '16',
    // Not used here; off, it cannot collide with another server's port on the machine.
    GRPC_ENABLED: 'false',
  });
  const admin = { authorization: `Bearer ${adminKey}` };
  const sampler = await DatabaseSampler.open(db.url, db.name);
  try {
    const hot = user('bench-hot');
    const spenders = Array.from({ length: HOT_SPENDERS }, (_, i) => user(`bench-${i}`));
    const pairs = Array.from({ length: PAIR_ACCOUNTS }, (_, i) => user(`bench-pair-${i}`));
    await fund(server.base, admin, spenders, '1000000');
    await fund(server.base, admin, pairs, '1000');
    console.log(
      `Tally batch benchmark: ${SECONDS}s per phase, ${BATCH.toLocaleString('en')} items a batch, ` +
        `${HOT_SPENDERS.toLocaleString('en')} spenders, ${PAIR_ACCOUNTS.toLocaleString('en')} pair accounts; ` +
        `load average ${loadavg()[0].toFixed(1)}`,
    );

    /** Every item must post. */
    const allPosted = async (items: unknown[]) => {
      const res = await postBatch(server.base, admin, items);
      if (res.posted !== items.length) {
        throw new Error(`${res.rejected} rejected, e.g. ${JSON.stringify(res.items.find((o) => o.status !== 'ok'))}`);
      }
      return true;
    };
    let spender = 0;
    const hotBatch = () =>
      allPosted(Array.from({ length: BATCH }, () => transfer(spenders[spender++ % HOT_SPENDERS], hot)));
    const hotRuns = PHASES.has('hot')
      ? [
          await phase('hot account, 1 client', 1, BATCH, server, sampler, hotBatch),
          await phase(`hot account, ${CLIENTS} clients`, CLIENTS, BATCH, server, sampler, hotBatch),
        ]
      : [];

    const randomPairs = PHASES.has('pairs')
      ? await phase(`random pairs, ${CLIENTS} clients`, CLIENTS, BATCH, server, sampler, () =>
          allPosted(
            Array.from({ length: BATCH }, () => {
              const from = pick(PAIR_ACCOUNTS);
              const to = (from + 1 + pick(PAIR_ACCOUNTS - 1)) % PAIR_ACCOUNTS;
              return transfer(pairs[from], pairs[to]);
            }),
          ),
        )
      : undefined;

    const sample = chainBatch(pairs);
    const postedPerChainBatch = sample.expected.filter((e) => e === 'ok').length;
    let wrongOutcomes = 0;
    const chains = PHASES.has('chains')
      ? await phase(`linked chains, ${CLIENTS} clients`, CLIENTS, postedPerChainBatch, server, sampler, async () => {
          const { items, expected } = chainBatch(pairs);
          const res = await postBatch(server.base, admin, items);
          try {
            return checkChains(res, expected);
          } catch (error) {
            wrongOutcomes++;
            throw error;
          }
        })
      : undefined;
    if (chains) {
      console.log(
        `${''.padEnd(24)} each batch: ${BATCH.toLocaleString('en')} items in ${sample.chains} chains (one in ` +
          `${FAILING_CHAIN_EVERY} fails), ${postedPerChainBatch.toLocaleString('en')} to post; outcomes checked in ` +
          `${chains.load.ok + chains.load.errors} batches, wrong in ${wrongOutcomes}`,
      );
    }

    console.log(
      `load average at the end ${loadavg()[0].toFixed(1)} (the app, Postgres and this driver share the machine)`,
    );
    await sampler.close();
    await server.stop();
    if (profileDir) summariseCpuProfile(profileDir);
    const verify = runCli(['ledger', 'verify'], { DATABASE_URL: db.url });
    console.log(`ledger verify: ${verify.code === 0 ? 'OK' : 'FAILED'}\n${verify.output.trim()}`);
    if (verify.code !== 0) process.exitCode = 1;

    // The target rests on the faster of the two hot-account runs; the other is printed beside it.
    const [best, other] = [...hotRuns].sort((a, b) => b.transfersPerSecond - a.transfersPerSecond);
    if (other)
      printRatio(other.name, other.transfersPerSecond, 'raw insert', yardsticks.rawInsertTps, 'for information');
    if (best) printRatio(best.name, best.transfersPerSecond, 'pgbench', yardsticks.pgbenchTps, 'for information');
    const errors = [...hotRuns, randomPairs].reduce((n, r) => n + (r?.load.errors ?? 0), 0);
    const notRun = (what: string) => ({ label: `${what}: not run (BENCH_PHASES)`, met: false });
    verdict(
      `batch hot-account transfers/s ≥ ${TARGET_RAW_INSERT_RATIO.toFixed(2)} × raw insert, 0 errors, chain outcomes right, ledger verify OK`,
      [
        best
          ? ratioCondition(
              best.name,
              best.transfersPerSecond,
              'raw insert',
              yardsticks.rawInsertTps,
              TARGET_RAW_INSERT_RATIO,
            )
          : notRun('hot account'),
        { label: `hot-account and random-pair batch errors = ${errors} (target 0)`, met: errors === 0 },
        chains
          ? {
              label: `linked-chain batches with an error or a wrong outcome = ${chains.load.errors} (target 0)`,
              met: chains.load.errors === 0 && chains.load.ok > 0,
            }
          : notRun('linked chains'),
        { label: `ledger verify ${verify.code === 0 ? 'OK' : 'FAILED'} (target OK)`, met: verify.code === 0 },
      ],
    );
  } finally {
    await sampler.close().catch(() => undefined);
    await server.stop().catch(() => undefined);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
