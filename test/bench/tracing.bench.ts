/**
 * Tracing benchmark: what OpenTelemetry traces cost on the hot path (the ledger benchmark's
 * hot-account spends over REST), in rounds; each run gets a fresh database and server:
 *   1. a build without tracing: the commit before tracing landed, built from git into a
 *      temporary directory (BENCH_BASELINE_REF names another commit; `none` skips it);
 *   2. this build, tracing off (no OTLP endpoint): it must be within noise of run 1;
 *   3. this build, tracing on, every request sampled, exporting to a local OTLP receiver
 *      that accepts and discards the spans.
 * Usage: npm run bench:tracing   (BENCH_SECONDS, BENCH_ROUNDS, BENCH_CONCURRENCY, BENCH_NOISE, DATABASE_URL optional)
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OtlpReceiver } from '../support/otlp-receiver';
import { cpuMsOf, drive, freshDatabase, percentile, ROOT, startServer } from './bench-support';
import { fundedSpenders, spendIntoHotAccount } from './hot-account';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const USERS = 256;
/** Run-to-run spread of this load on one machine (the ledger benchmark's runs vary about ±3%). */
const NOISE = Number(process.env.BENCH_NOISE ?? 0.05);
/** Each configuration runs this many times, interleaved with the others. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TRACING_OFF = { OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '' };

/** The commit before the one that brought tracing in (its bootstrap file). */
function defaultBaselineRef(): string {
  const added = execFileSync('git', ['log', '--diff-filter=A', '--format=%H', '--', 'apps/api/src/tracing.ts'], {
    cwd: ROOT,
  })
    .toString()
    .trim()
    .split('\n')
    .pop();
  if (!added) throw new Error('no commit adds apps/api/src/tracing.ts');
  return `${added}^`;
}

function shortCommit(ref: string): string {
  return execFileSync('git', ['rev-parse', '--short', ref], { cwd: ROOT }).toString().trim();
}

/** Builds `ref` (its API only) in a temporary directory; returns its entry point and a cleanup. */
function buildAt(ref: string): { main: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tally-baseline-'));
  execFileSync('bash', ['-c', 'git -C "$ROOT" archive "$REF" | tar -x -C "$DIR"'], {
    env: { ...process.env, ROOT, REF: ref, DIR: dir },
  });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  const swc = join(ROOT, 'node_modules/.bin/swc');
  execFileSync(swc, ['apps', 'libs', 'migrations', '-d', 'dist', '--quiet', '--ignore', '**/*.spec.ts'], { cwd: dir });
  execFileSync(process.execPath, ['scripts/copy-build-assets.cjs', 'dist'], { cwd: dir });
  return { main: join(dir, 'dist/apps/api/src/main.js'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

interface RunResult {
  rate: number;
  /** The server's CPU time per request (µs), when the platform says (Linux). */
  cpuUs?: number;
}

/** One run: a fresh database and server, the spenders funded, then the measured load. */
async function run(label: string, env: Record<string, string>, main?: string): Promise<RunResult> {
  const db = await freshDatabase('tally_bench_tracing');
  const adminKey = `tly_bench_${randomBytes(16).toString('hex')}`;
  const server = await startServer(
    { DATABASE_URL: db.url, TALLY_ADMIN_KEY: adminKey, RATE_LIMIT_MAX: '100000000', DATABASE_POOL_SIZE: '16', ...env },
    { main },
  );
  try {
    const spenders = await fundedSpenders(server.base, { authorization: `Bearer ${adminKey}` }, USERS);
    // CPU over the whole load, warm-up included, per request sent in it.
    let requests = 0;
    const cpuBefore = cpuMsOf(server.pid);
    const r = await drive(CONCURRENCY, SECONDS, (loop, i) => {
      requests++;
      return spendIntoHotAccount(server.base, spenders, loop, i);
    });
    const cpuAfter = cpuMsOf(server.pid);
    const rate = r.ok / r.seconds;
    const cpuUs =
      cpuBefore === undefined || cpuAfter === undefined ? undefined : ((cpuAfter - cpuBefore) * 1000) / requests;
    console.log(
      `${label.padEnd(24)} ${rate.toFixed(0).padStart(6)} transfers/s   ${cpuUs === undefined ? '' : `${cpuUs.toFixed(0)} µs CPU/request   `}` +
        `p50 ${percentile(r.latenciesMs, 50).toFixed(1)} ms   p99 ${percentile(r.latenciesMs, 99).toFixed(1)} ms   errors ${r.errors}`,
    );
    if (r.errors > 0) process.exitCode = 1;
    return { rate, cpuUs };
  } finally {
    await server.stop();
    await db.drop();
  }
}

interface Config {
  label: string;
  env: Record<string, string>;
  main?: string;
  results: RunResult[];
}

async function main(): Promise<void> {
  const ref = process.env.BENCH_BASELINE_REF ?? defaultBaselineRef();
  console.log(
    `Tally tracing benchmark: hot-account spends, ${ROUNDS} rounds of ${SECONDS}s per configuration, ` +
      `${CONCURRENCY} concurrent clients, ${USERS} users`,
  );
  const build = ref === 'none' ? undefined : buildAt(ref);
  const receiver = await OtlpReceiver.start({ keep: false });
  const baseline: Config | undefined = build && {
    label: `no tracing (${shortCommit(ref)})`,
    env: TRACING_OFF,
    main: build.main,
    results: [],
  };
  const off: Config = { label: 'tracing off', env: TRACING_OFF, results: [] };
  const on: Config = {
    label: 'tracing on (all sampled)',
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_TRACES_SAMPLER: 'parentbased_always_on' },
    results: [],
  };
  try {
    const configs = [...(baseline ? [baseline] : []), off, on];
    // Every other round in reverse order, so a machine that speeds up or slows down favours none.
    for (let round = 0; round < ROUNDS; round++) {
      for (const config of round % 2 === 0 ? configs : [...configs].reverse()) {
        config.results.push(await run(config.label, config.env, config.main));
      }
    }
  } finally {
    await receiver.close();
    build?.remove();
  }
  if (receiver.exports === 0) throw new Error('tracing on exported nothing');
  console.log(`tracing on: ${receiver.exports} OTLP export requests received`);
  // The median of the rounds: one round can be an outlier either way (a neighbour's load slows
  // it; a lucky JIT or GC pattern speeds it), and the median of interleaved rounds ignores both.
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const rate = (config: Config) => median(config.results.map((r) => r.rate));
  const cpu = (config: Config) => {
    const values = config.results.map((r) => r.cpuUs);
    return values.every((v) => v !== undefined) ? median(values as number[]) : undefined;
  };
  for (const config of [...(baseline ? [baseline] : []), off, on]) {
    const cpuUs = cpu(config);
    console.log(
      `${config.label.padEnd(24)} median ${rate(config).toFixed(0).padStart(6)} transfers/s` +
        (cpuUs === undefined ? '' : `   ${cpuUs.toFixed(0)} µs CPU/request`),
    );
  }
  const offCpu = cpu(off);
  const onCpu = cpu(on);
  if (baseline) {
    // The server's CPU per request is the measure (a rate moves with whatever else shares the
    // machine); the rate when the platform does not say.
    const baseCpu = cpu(baseline);
    const [what, ratio] =
      offCpu !== undefined && baseCpu !== undefined
        ? ['CPU per request', offCpu / baseCpu]
        : ['transfers/s', rate(off) / rate(baseline)];
    // Off must cost nothing: no more than the noise above the build without tracing (cheaper
    // is noise too, or unrelated work since that commit).
    const costlier = what === 'CPU per request' ? ratio - 1 : 1 - ratio;
    const met = costlier <= NOISE;
    console.log(
      `target (tracing off costs at most ${(NOISE * 100).toFixed(0)}% more than a build without tracing, ${what}): ` +
        `off / no tracing = ${ratio.toFixed(3)}: ${met ? 'met' : 'NOT met'}`,
    );
  } else {
    console.log('no build without tracing to compare with (BENCH_BASELINE_REF=none)');
  }
  console.log(
    `tracing on / off: transfers/s ${(rate(on) / rate(off)).toFixed(3)}` +
      (onCpu !== undefined && offCpu !== undefined ? `, CPU per request ${(onCpu / offCpu).toFixed(3)}` : ''),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
