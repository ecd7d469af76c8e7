/**
 * Job lifecycle benchmark: the built app against a fresh Postgres database, driven over REST.
 * 50 simulated provers register, heartbeat every few seconds, long-poll for work (one loop per
 * slot of their max_concurrency) and report success; clients submit jobs for BENCH_SECONDS
 * (with at most BENCH_INFLIGHT unsettled at once). Prints completed lifecycles/s,
 * submit→assigned (database stamps) and submit→settled (client-side) latency, each step's
 * time, the requests sent per lifecycle, then runs `ledger verify`. It first measures its
 * yardsticks (pgbench TPC-B, raw insert, and one core's Ed25519 signatures/s); its target is a
 * ratio to pgbench, printed last with met / NOT met.
 * Usage: npm run bench:lifecycle   (BENCH_SECONDS, BENCH_PROVERS, BENCH_CLIENTS, BENCH_INFLIGHT,
 *        BENCH_PROVER_LOOPS, BENCH_MAX_CONCURRENCY, BENCH_YARDSTICK_SECONDS, DATABASE_URL optional)
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { Client } from 'pg';
import {
  ed25519SignsPerSecond,
  freshDatabase,
  measureYardsticks,
  percentile,
  ratioCondition,
  request,
  runCli,
  startServer,
  verdict,
} from './bench-support';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const PROVERS = Number(process.env.BENCH_PROVERS ?? 50);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 32);
const INFLIGHT = Number(process.env.BENCH_INFLIGHT ?? 100);
/**
 * Each prover's max_concurrency: by default the provers together have more slots than jobs
 * may be in flight, so submit→assigned measures the scheduler, not a wait for a free slot.
 */
const MAX_CONCURRENCY = Number(process.env.BENCH_MAX_CONCURRENCY ?? Math.ceil((2 * INFLIGHT) / PROVERS));
/** Concurrent poll loops per prover: by default one per slot, as a prover runs what it accepts. */
const LOOPS = Number(process.env.BENCH_PROVER_LOOPS ?? MAX_CONCURRENCY);
const HEARTBEAT_MS = 5_000;
const MAX_COST_MICROS = 1_000;
const FINAL_COST_MICROS = 600;
/** The target: lifecycles/s ≥ 0.20 × pgbench tps, submit→assigned p99 ≤ 100 ms, 0 errors, verify OK. */
const TARGET_PGBENCH_RATIO = 0.2;
const TARGET_ASSIGNED_P99_MS = 100;

type Headers = Record<string, string>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const HARDWARE = {
  cpu_cores: 32,
  cpu_model: 'bench',
  gpu_count: 1,
  gpu_model: 'bench',
  gpu_memory_gb: 24,
  ram_gb: 128,
  storage_type: 'nvme',
  storage_iops: 100000,
  network_bandwidth_gbps: 10,
};
const CAPABILITIES = {
  supports_fp32: true,
  supports_fp16: true,
  supports_int8: true,
  max_batch_size: 64,
  supported_kernels: ['msm', 'ntt'],
  zk_acceleration: { groth16: true, plonk: true, stark: true },
};

async function main(): Promise<void> {
  // The machine's yardsticks first, while nothing else runs: figures from different machines
  // of the same size differ by as much as these do.
  console.log(`machine: one core ${ed25519SignsPerSecond().toFixed(0)} Ed25519 signatures/s`);
  const yardsticks = await measureYardsticks();
  const db = await freshDatabase('tally_bench_lc');
  const adminKey = `tly_bench_${randomBytes(16).toString('hex')}`;
  const server = await startServer({
    DATABASE_URL: db.url,
    TALLY_ADMIN_KEY: adminKey,
    RATE_LIMIT_MAX: '100000000',
    DATABASE_POOL_SIZE: '16',
  });
  const base = server.base;
  const admin = { authorization: `Bearer ${adminKey}` };
  /** Requests sent during the run, by kind (submit, poll 200/204, result, heartbeat). */
  const sent = new Map<string, number>();
  const call = async (method: string, path: string, headers: Headers, body?: unknown, expect?: number[]) => {
    const res = await request(base, method, path, headers, body);
    const kind = `${path.split('/').pop()}${path.endsWith('/poll') ? ` ${res.status}` : ''}`;
    sent.set(kind, (sent.get(kind) ?? 0) + 1);
    if (expect && !expect.includes(res.status)) throw new Error(`${method} ${path}: ${res.status} ${res.body}`);
    return res;
  };
  const keyFor = async (role: string, subject: string) =>
    ({
      authorization: `Bearer ${JSON.parse((await call('POST', '/v1/admin/keys', admin, { role, subject }, [201])).body).key}`,
    }) as Headers;

  try {
    // Setup: provers registered and alive, clients funded.
    const provers: { id: string; key: Headers }[] = [];
    for (let i = 0; i < PROVERS; i++) {
      const id = `bench-prover-${i}`;
      const key = await keyFor('prover', id);
      await call(
        'POST',
        '/v1/provers/register',
        key,
        {
          prover_id: id,
          hardware_profile: HARDWARE,
          capabilities: CAPABILITIES,
          region: 'bench',
          max_concurrency: MAX_CONCURRENCY,
        },
        [201],
      );
      provers.push({ id, key });
    }
    const clients: Headers[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      const name = `bench-client-${i}`;
      clients.push(await keyFor('client', name));
      await call(
        'POST',
        '/v1/credits/mint',
        { ...admin, 'idempotency-key': randomUUID() },
        { account_type: 'user', account_id: name, amount: '100000' },
        [201],
      );
    }
    console.log(
      `Tally lifecycle benchmark: ${SECONDS}s, ${PROVERS} provers × ${LOOPS} poll loops (max_concurrency ${MAX_CONCURRENCY}), ` +
        `${CLIENTS} client loops, at most ${INFLIGHT} unsettled jobs; load average ${loadavg()[0].toFixed(1)}`,
    );

    const submittedAt = new Map<string, number>();
    /** Jobs settled before their submit response arrived (a fast prover can beat it). */
    const settledEarly = new Map<string, number | null>();
    const settled = (id: string, at: number | null) => {
      const t0 = submittedAt.get(id);
      if (t0 === undefined) return void settledEarly.set(id, at);
      if (at !== null) settleMs.push(at - t0);
      inflight--;
    };
    const settleMs: number[] = [];
    let inflight = 0;
    let submitErrors = 0;
    let reportErrors = 0;
    let pollErrors = 0;
    let completedInWindow = 0;
    let stopProvers = false;
    let stopClients = false;
    const started = Date.now();
    const end = started + SECONDS * 1000;

    // Provers: heartbeats on a timer, long polls, success reports.
    const beat = (p: { id: string; key: Headers }) =>
      call('POST', `/v1/provers/${p.id}/heartbeat`, p.key, {
        hardware_profile: HARDWARE,
        capabilities: CAPABILITIES,
        load_factor: 0.1,
      }).catch(() => undefined);
    await Promise.all(provers.map(beat));
    const heartbeats = setInterval(() => provers.forEach(beat), HEARTBEAT_MS);
    const proverLoops = provers.flatMap((p) =>
      Array.from({ length: LOOPS }, async () => {
        while (!stopProvers) {
          const polled = await call('POST', `/v1/provers/${p.id}/poll`, p.key, { max_wait_seconds: 2 }).catch(() => ({
            status: 0,
            body: '',
          }));
          if (polled.status === 204) continue;
          if (polled.status !== 200) {
            pollErrors++;
            await sleep(50);
            continue;
          }
          const id = JSON.parse(polled.body).network_job_id as string;
          const res = await call('POST', `/v1/jobs/${id}/result`, p.key, {
            success: true,
            final_cost_micros: FINAL_COST_MICROS,
          }).catch(() => ({ status: 0, body: '' }));
          const now = Date.now();
          const ok = res.status === 201 && JSON.parse(res.body).outcome === 'COMPLETED';
          // A failed report still frees its place under the in-flight cap, without a latency.
          settled(id, ok ? now : null);
          if (!ok) reportErrors++;
          else if (now <= end) completedInWindow++;
        }
      }),
    );

    // Clients: submit while under the in-flight cap.
    const clientLoops = clients.map(async (key, c) => {
      for (let i = 0; !stopClients && Date.now() < end; i++) {
        if (inflight >= INFLIGHT) {
          await sleep(2);
          continue;
        }
        inflight++;
        const t0 = Date.now();
        const res = await call('POST', '/v1/jobs/submit', key, {
          payload: { client: c, n: i },
          max_cost_micros: MAX_COST_MICROS,
        }).catch(() => ({ status: 0, body: '' }));
        if (res.status !== 201) {
          inflight--;
          submitErrors++;
          continue;
        }
        const id = JSON.parse(res.body).network_job_id as string;
        submittedAt.set(id, t0);
        if (settledEarly.has(id)) settled(id, settledEarly.get(id)!);
      }
    });
    await Promise.all(clientLoops);
    stopClients = true;
    const windowSeconds = (Date.now() - started) / 1000;
    // Let the provers finish what was submitted (bounded), then stop them.
    const drainDeadline = Date.now() + 30_000;
    while (inflight > 0 && Date.now() < drainDeadline) await sleep(50);
    stopProvers = true;
    clearInterval(heartbeats);
    await Promise.all(proverLoops);

    // Server-side stamps: submitted_at and assigned_at are both set by the database.
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    const [lat] = (
      await pg.query(
        `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99,
                max(ms) AS max, count(*)::int AS n
         FROM (SELECT extract(epoch FROM assigned_at - submitted_at) * 1000 AS ms FROM jobs WHERE assigned_at IS NOT NULL) x`,
      )
    ).rows;
    // Where a lifecycle's time goes, from the database's own stamps (p50 / p99 ms per step).
    const steps = (
      await pg.query(
        `SELECT step, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50,
                percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99
         FROM (SELECT unnest(ARRAY['submitted→assigned', 'assigned→started', 'started→completed', 'completed→audited']) AS step,
                      unnest(ARRAY[assigned_at - submitted_at, started_at - assigned_at, completed_at - started_at,
                                   audited_at - completed_at]) AS d
               FROM jobs WHERE audited_at IS NOT NULL) s, LATERAL (SELECT extract(epoch FROM d) * 1000 AS ms) m
         GROUP BY step ORDER BY min(CASE step WHEN 'submitted→assigned' THEN 1 WHEN 'assigned→started' THEN 2
                                              WHEN 'started→completed' THEN 3 ELSE 4 END)`,
      )
    ).rows as { step: string; p50: number; p99: number }[];
    // The audit recorder moves COMPLETED jobs to AUDITED shortly after.
    let statuses: { status: string; n: number }[] = [];
    for (let i = 0; i < 100; i++) {
      statuses = (await pg.query(`SELECT status, count(*)::int AS n FROM jobs GROUP BY status ORDER BY status`)).rows;
      if (!statuses.some((s) => s.status === 'COMPLETED')) break;
      await sleep(100);
    }
    const [{ requeued }] = (await pg.query(`SELECT count(*)::int AS requeued FROM jobs WHERE attempts > 0`)).rows;
    await pg.end();

    const total = submittedAt.size;
    const rate = completedInWindow / windowSeconds;
    console.log(
      `completed lifecycles/s ${rate.toFixed(0)} ` +
        `(${completedInWindow} settled in the ${windowSeconds.toFixed(1)} s window; ${total} submitted)`,
    );
    console.log(
      `submit→assigned (db) p50 ${Number(lat.p50).toFixed(1)} ms   p99 ${Number(lat.p99).toFixed(1)} ms   ` +
        `max ${Number(lat.max).toFixed(1)} ms   (${lat.n} jobs)`,
    );
    console.log(
      `submit→settled (client) p50 ${percentile(settleMs, 50).toFixed(1)} ms   p99 ${percentile(settleMs, 99).toFixed(1)} ms`,
    );
    console.log(
      `steps (db, p50/p99 ms): ${steps.map((s) => `${s.step} ${Number(s.p50).toFixed(0)}/${Number(s.p99).toFixed(0)}`).join(', ')}`,
    );
    console.log(
      `requests per completed lifecycle: ${[...sent]
        .filter(([k]) => /^(submit|poll|result|heartbeat)/.test(k))
        .map(([k, n]) => `${k} ${(n / Math.max(1, completedInWindow)).toFixed(2)}`)
        .join(', ')}`,
    );
    console.log(
      `errors: submit ${submitErrors}, poll ${pollErrors}, report ${reportErrors}; requeued jobs ${requeued}; ` +
        `final states ${statuses.map((s) => `${s.status} ${s.n}`).join(', ')}`,
    );

    console.log(
      `load average at the end ${loadavg()[0].toFixed(1)} (the app, Postgres and this driver share the machine)`,
    );
    await server.stop();
    const verify = runCli(['ledger', 'verify'], { DATABASE_URL: db.url });
    console.log(`ledger verify: ${verify.code === 0 ? 'OK' : 'FAILED'}\n${verify.output.trim()}`);
    if (verify.code !== 0) process.exitCode = 1;
    const errors = submitErrors + pollErrors + reportErrors;
    verdict(
      `lifecycles/s ≥ ${TARGET_PGBENCH_RATIO.toFixed(2)} × pgbench, submit→assigned p99 ≤ ${TARGET_ASSIGNED_P99_MS} ms, 0 errors, ledger verify OK`,
      [
        ratioCondition('lifecycles', rate, 'pgbench', yardsticks.pgbenchTps, TARGET_PGBENCH_RATIO),
        {
          label: `submit→assigned p99 = ${Number(lat.p99).toFixed(1)} ms (target ≤ ${TARGET_ASSIGNED_P99_MS} ms)`,
          met: Number(lat.p99) <= TARGET_ASSIGNED_P99_MS,
        },
        { label: `errors = ${errors} (target 0)`, met: errors === 0 },
        { label: `ledger verify ${verify.code === 0 ? 'OK' : 'FAILED'} (target OK)`, met: verify.code === 0 },
      ],
    );
  } finally {
    await server.stop().catch(() => undefined);
    await db.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
