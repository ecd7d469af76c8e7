import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import http from 'node:http';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

export const ROOT = join(__dirname, '..', '..', '..');

/** A fresh database on the Postgres server of DATABASE_URL (or the local one). */
export async function freshDatabase(prefix: string): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const server = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = async (sql: string) => {
    const c = new Client({ connectionString: server });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  // BENCH_KEEP_DB=1 leaves the database behind (to look at its plans and tables afterwards).
  const drop = async () => {
    if (process.env.BENCH_KEEP_DB === '1') console.log(`database kept: ${name}`);
    else await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  };
  return { url: url.toString(), name, drop };
}

/** The Node flags `npm run start:prod` runs the server with, so a benchmark measures what production runs. */
function productionNodeArgs(): string[] {
  const script: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts['start:prod'];
  return script.split(/\s+/).filter((word) => word.startsWith('--'));
}

/**
 * Starts the built API in its own process and waits until it is ready; `main` is another
 * build's entry point (a benchmark comparing two builds).
 */
export async function startServer(
  env: Record<string, string>,
  { main = join(ROOT, 'dist/apps/api/src/main.js') }: { main?: string } = {},
): Promise<{ base: string; pid: number; stop: () => Promise<void> }> {
  const port = 38000 + Math.floor(Math.random() * 2000);
  // BENCH_NODE_ARGS lets a profiling run pass e.g. --cpu-prof to the server.
  const nodeArgs = [...productionNodeArgs(), ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)];
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, main], {
    env: {
      // A server database requires a receipt signing key; a run gets a random one.
      RECEIPT_SIGNING_KEY_HEX: randomBytes(32).toString('hex'),
      ...process.env,
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
    const ok = await fetch(`${base}/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('the server did not become ready');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    base,
    pid: child.pid!,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

// No socket limit: a benchmark's loops (long polls included) never queue behind each other in the client.
const agent = new http.Agent({ keepAlive: true });

/** A small keep-alive JSON client: far less overhead per request than fetch. */
export function request(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; body: string }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base}${path}`,
      {
        method,
        agent,
        headers: {
          ...headers,
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export interface LoadResult {
  ok: number;
  errors: number;
  seconds: number;
  latenciesMs: number[];
}

/** Seconds of load before each measured phase (JIT, caches, connection pools), not counted. */
export const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);

/**
 * Runs `worker` in `concurrency` loops for `seconds` (after WARMUP_SECONDS of the same load,
 * whose requests are not counted but whose failures are); each call is one request.
 */
export async function drive(
  concurrency: number,
  seconds: number,
  worker: (loop: number, i: number) => Promise<boolean>,
): Promise<LoadResult> {
  const latenciesMs: number[] = [];
  let ok = 0;
  let errors = 0;
  const warmupEnd = Date.now() + WARMUP_SECONDS * 1000;
  const end = warmupEnd + seconds * 1000;
  let measuredFrom: bigint | undefined;
  const warmup = setTimeout(() => (measuredFrom = process.hrtime.bigint()), WARMUP_SECONDS * 1000);
  await Promise.all(
    Array.from({ length: concurrency }, async (_, loop) => {
      for (let i = 0; Date.now() < end; i++) {
        const warming = Date.now() < warmupEnd;
        const t0 = process.hrtime.bigint();
        const success = await worker(loop, i).catch(() => false);
        if (!success) errors++;
        if (warming) continue;
        latenciesMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (success) ok++;
      }
    }),
  );
  clearTimeout(warmup);
  const from = measuredFrom ?? process.hrtime.bigint();
  return { ok, errors, seconds: Number(process.hrtime.bigint() - from) / 1e9, latenciesMs };
}

/**
 * CPU time (user + system, ms) a process and its live descendants have used so far, from
 * /proc (Linux); undefined elsewhere. Unlike a rate, CPU per request barely moves when other work shares the machine.
 */
export function cpuMsOf(pid: number): number | undefined {
  const own = statFields(pid);
  if (!own) return undefined;
  // Its live children too (a multi-process server's workers): utime and stime are the 12th and 13th.
  let ms = ((Number(own[11]) + Number(own[12])) * 1000) / clockTicksPerSecond();
  for (const child of childPids(pid)) ms += cpuMsOf(child) ?? 0;
  return ms;
}

/** The fields after a process's command name (which may hold spaces), or undefined. */
function statFields(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  } catch {
    return undefined;
  }
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

let ticks: number | undefined;
function clockTicksPerSecond(): number {
  ticks ??= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  return ticks;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Seconds each yardstick runs for (BENCH_YARDSTICK_SECONDS). */
export const YARDSTICK_SECONDS = Number(process.env.BENCH_YARDSTICK_SECONDS ?? 10);

/**
 * Yardstick 1: pgbench TPC-B, scale 1 (one branch: every transaction updates the one hot
 * branch row), 8 clients, on a database of its own on the same server. Undefined when pgbench
 * is not installed or fails.
 */
export async function pgbenchTps(seconds: number): Promise<number | undefined> {
  const db = await freshDatabase('tally_pgbench');
  const url = new URL(db.url);
  const args = ['-h', url.hostname, '-p', url.port || '5432', '-U', url.username || 'postgres'];
  try {
    execFileSync('pgbench', [...args, '-i', '-s', '1', '-q', db.name], { stdio: 'ignore' });
    const out = execFileSync('pgbench', [...args, '-c', '8', '-j', '2', '-T', String(seconds), db.name], {
      stdio: ['ignore', 'pipe', 'ignore'],
    }).toString();
    const match = /tps = ([\d.]+)/.exec(out);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  } finally {
    await db.drop();
  }
}

/** Transfers each raw-insert transaction writes: the most a batch request may carry. */
export const RAW_INSERT_TRANSFERS = 8190;

/**
 * Yardstick 2, the database's own ceiling for the rows a batch writes: one client repeats, for
 * `seconds`, one transaction of one `INSERT … SELECT` of RAW_INSERT_TRANSFERS transfer rows and
 * twice as many entry rows, plus one UPDATE of one hot account row. The tables are bare copies
 * of Tally's (the real schema loaded into a scratch database, then `LIKE … INCLUDING INDEXES`):
 * the same columns, keys and indexes, none of the checks, triggers, foreign keys or hashing.
 * Returns transfers/s; undefined if it fails.
 */
export async function rawInsertTps(seconds: number): Promise<number | undefined> {
  const db = await freshDatabase('tally_raw_insert');
  const pg = new Client({ connectionString: db.url });
  try {
    await pg.connect();
    await pg.query(readFileSync(join(ROOT, 'migrations/schema.sql'), 'utf8'));
    for (const table of ['transfers', 'entries', 'accounts']) {
      await pg.query(
        `CREATE TABLE bare_${table} (LIKE ${table} INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING INDEXES)`,
      );
    }
    await pg.query(`INSERT INTO bare_accounts (kind, owner_id) VALUES ('platform', 'platform')`);
    // Each spend debits one of 1,000 users and credits the one platform account (id 1).
    const insert = `
      WITH t AS (
        INSERT INTO bare_transfers (id, kind, amount) SELECT gen_random_uuid(), 'spend', 1 FROM generate_series(1, $1)
        RETURNING id, seq)
      INSERT INTO bare_entries (transfer_id, transfer_seq, leg, account_id, side, phase, amount, posted_debits_after,
                                posted_credits_after, pending_debits_after, pending_credits_after, version_after, hash)
      SELECT t.id, t.seq, l.leg, CASE l.leg WHEN 0 THEN 2 + t.seq % 1000 ELSE 1 END, CASE l.leg WHEN 0 THEN 'D' ELSE 'C' END,
             'posted', 1, t.seq, t.seq, 0, 0, t.seq, $2
      FROM t CROSS JOIN (VALUES (0::smallint), (1::smallint)) l(leg)`;
    const hash = Buffer.alloc(32, 1);
    const from = process.hrtime.bigint();
    const until = from + BigInt(Math.round(seconds * 1e9));
    let transfers = 0;
    while (process.hrtime.bigint() < until) {
      await pg.query('BEGIN');
      await pg.query(insert, [RAW_INSERT_TRANSFERS, hash]);
      await pg.query(
        'UPDATE bare_accounts SET posted_credits = posted_credits + $1, version = version + 1 WHERE id = 1',
        [RAW_INSERT_TRANSFERS],
      );
      await pg.query('COMMIT');
      transfers += RAW_INSERT_TRANSFERS;
    }
    return transfers / (Number(process.hrtime.bigint() - from) / 1e9);
  } catch (error) {
    console.error(`raw-insert yardstick failed: ${(error as Error).message}`);
    return undefined;
  } finally {
    await pg.end().catch(() => undefined);
    await db.drop();
  }
}

export interface Yardsticks {
  pgbenchTps?: number;
  rawInsertTps?: number;
}

/** Both yardsticks, one after the other, before the benchmark starts its app; prints them. */
export async function measureYardsticks(seconds = YARDSTICK_SECONDS): Promise<Yardsticks> {
  const yardsticks = { pgbenchTps: await pgbenchTps(seconds), rawInsertTps: await rawInsertTps(seconds) };
  console.log(
    `yardsticks (${seconds} s each, same server): pgbench TPC-B -s 1 -c 8 ${formatRate(yardsticks.pgbenchTps, 'tps')}; ` +
      `raw insert ${formatRate(yardsticks.rawInsertTps, 'transfers/s')} ` +
      `(${RAW_INSERT_TRANSFERS.toLocaleString('en')} transfers a transaction, one client)`,
  );
  return yardsticks;
}

function formatRate(value: number | undefined, unit: string): string {
  return value === undefined ? 'unavailable' : `${Math.round(value).toLocaleString('en')} ${unit}`;
}

export interface Condition {
  label: string;
  met: boolean;
}

/**
 * `name / yardstick = r (target ≥ t)` as a condition of a target; with no yardstick measured
 * it is not met, as the target cannot be shown to hold.
 */
export function ratioCondition(
  name: string,
  value: number,
  yardstickName: string,
  yardstick: number | undefined,
  target: number,
): Condition {
  return {
    label: `${name} / ${yardstickName} = ${ratioFigure(value, yardstick)} (target ≥ ${target.toFixed(target < 1 ? 2 : 1)})`,
    met: yardstick !== undefined && yardstick > 0 && value / yardstick >= target,
  };
}

/** A ratio printed for information: no target of this benchmark rests on it. */
export function printRatio(
  name: string,
  value: number,
  yardstickName: string,
  yardstick: number | undefined,
  note: string,
): void {
  console.log(`${name} / ${yardstickName} = ${ratioFigure(value, yardstick)} (${note})`);
}

/** The ratio with the absolute figures beside it: `0.62 (1,594 / 2,571)`. */
function ratioFigure(value: number, yardstick: number | undefined): string {
  const abs = (n: number) => Math.round(n).toLocaleString('en');
  return yardstick
    ? `${(value / yardstick).toFixed(2)} (${abs(value)} / ${abs(yardstick)})`
    : 'unavailable (not measured)';
}

/** A benchmark's last lines: each condition with met / NOT met, then the whole target's. */
export function verdict(target: string, conditions: Condition[]): boolean {
  for (const c of conditions) console.log(`${c.label}: ${c.met ? 'met' : 'NOT met'}`);
  const met = conditions.every((c) => c.met);
  console.log(`target (${target}): ${met ? 'met' : 'NOT met'}`);
  return met;
}

/**
 * One core's speed, for comparing figures across machines: Ed25519 signatures per second
 * in this process (the same primitive the app signs receipts with), over about half a second.
 */
export function ed25519SignsPerSecond(): number {
  const { privateKey } = generateKeyPairSync('ed25519');
  const message = Buffer.alloc(256, 7);
  const from = process.hrtime.bigint();
  const until = from + 500_000_000n;
  let n = 0;
  while (process.hrtime.bigint() < until) {
    sign(null, message, privateKey);
    n++;
  }
  return n / (Number(process.hrtime.bigint() - from) / 1e9);
}

export function runCli(args: string[], env: Record<string, string>): { code: number; output: string } {
  try {
    const output = execFileSync(process.execPath, [join(ROOT, 'dist/apps/cli/src/main.js'), ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }).toString();
    return { code: 0, output };
  } catch (e) {
    const err = e as { status?: number; stdout?: Buffer; stderr?: Buffer };
    return { code: err.status ?? 1, output: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

export interface DatabaseSample {
  /** Session-samples by what the session was doing: `CPU` (active, no wait event), `Lock:tuple`, `idle in transaction`, … */
  waits: Map<string, number>;
  /** Busy session-samples by the start of the statement running (or last run, when idle in a transaction). */
  statements: Map<string, number>;
  /** Samples taken, and session-samples counted (active or idle in a transaction). */
  samples: number;
  busySessions: number;
  /** CPU (ms) the database's backends used between start and stop, from /proc; undefined if unreadable. */
  backendCpuMs?: number;
}

/**
 * Samples pg_stat_activity for one database every `intervalMs` while a phase runs: what its
 * sessions wait on (or `CPU` when active with no wait event) and, where Postgres runs on this
 * machine, the CPU its backends use. This tells whether a figure is bound by the app, by locks
 * (a hot row), by the WAL flush or by Postgres's own CPU.
 */
export class DatabaseSampler {
  private timer?: NodeJS.Timeout;
  private closed = false;
  private pending?: Promise<void>;
  private readonly cpu = new Map<number, { first: number; last: number }>();
  private sample: DatabaseSample = { waits: new Map(), statements: new Map(), samples: 0, busySessions: 0 };

  private constructor(
    private readonly pg: Client,
    private readonly database: string,
    private readonly intervalMs: number,
  ) {}

  static async open(url: string, database: string, intervalMs = 100): Promise<DatabaseSampler> {
    const pg = new Client({ connectionString: url });
    await pg.connect();
    return new DatabaseSampler(pg, database, intervalMs);
  }

  async start(): Promise<void> {
    this.sample = { waits: new Map(), statements: new Map(), samples: 0, busySessions: 0 };
    this.cpu.clear();
    await this.take(false);
    this.timer = setInterval(() => {
      this.pending ??= this.take(true).finally(() => (this.pending = undefined));
    }, this.intervalMs);
  }

  async stop(): Promise<DatabaseSample> {
    clearInterval(this.timer);
    await this.pending;
    await this.take(false);
    let cpuMs: number | undefined;
    for (const { first, last } of this.cpu.values()) cpuMs = (cpuMs ?? 0) + (last - first);
    return { ...this.sample, backendCpuMs: cpuMs };
  }

  /** Closes its connection; a second call does nothing. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    if (this.closed) return;
    this.closed = true;
    await this.pending;
    await this.pg.end();
  }

  private async take(countWaits: boolean): Promise<void> {
    const { rows } = await this.pg.query<{ pid: number; state: string | null; wait: string | null; query: string }>(
      `SELECT pid, state, wait_event_type || ':' || wait_event AS wait,
              left(regexp_replace(query, '\\s+', ' ', 'g'), 70) AS query FROM pg_stat_activity
       WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
      [this.database],
    );
    for (const row of rows) {
      const cpu = cpuMsOf(row.pid);
      if (cpu === undefined) continue;
      const seen = this.cpu.get(row.pid);
      if (seen) seen.last = cpu;
      else this.cpu.set(row.pid, { first: cpu, last: cpu });
    }
    if (!countWaits) return;
    this.sample.samples++;
    for (const row of rows) {
      // An idle session holds nothing; one idle in a transaction waits for the app.
      if (row.state === 'idle') continue;
      const what = row.state === 'active' ? (row.wait ?? 'CPU') : `${row.state} (waiting for the app)`;
      this.sample.busySessions++;
      this.sample.waits.set(what, (this.sample.waits.get(what) ?? 0) + 1);
      this.sample.statements.set(row.query, (this.sample.statements.get(row.query) ?? 0) + 1);
    }
  }
}

/** `CPU 61%, IO:WALSync 22%, …` (shares of busy session-samples) with the mean number of busy sessions. */
export function formatWaits(sample: DatabaseSample, top = 6): string {
  if (sample.busySessions === 0) return `no busy session in ${sample.samples} samples`;
  const shares = [...sample.waits]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([what, n]) => `${what} ${((100 * n) / sample.busySessions).toFixed(0)}%`);
  return `${(sample.busySessions / Math.max(1, sample.samples)).toFixed(2)} busy sessions on average: ${shares.join(', ')}`;
}

/** The statements the busy sessions were in, most often first, with their shares. */
export function formatStatements(sample: DatabaseSample, top = 3): string[] {
  return [...sample.statements]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([query, n]) => `${((100 * n) / Math.max(1, sample.busySessions)).toFixed(0)}% ${query}`);
}

/**
 * With BENCH_CPU_PROF=1 the server runs with `--cpu-prof` into a scratch directory (added to
 * BENCH_NODE_ARGS); `summariseCpuProfile` prints where its CPU went once it has stopped.
 */
export function cpuProfileDir(): string | undefined {
  if (process.env.BENCH_CPU_PROF !== '1') return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'tally-cpu-prof-'));
  process.env.BENCH_NODE_ARGS = `${process.env.BENCH_NODE_ARGS ?? ''} --cpu-prof --cpu-prof-dir=${dir}`.trim();
  return dir;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

/** Top functions by self time, and self time by package or app library, of the profile(s) in `dir`. */
export function summariseCpuProfile(dir: string, top = 20): void {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) return void console.log(`cpu profile: none written in ${dir}`);
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  let total = 0;
  for (const file of files) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
      nodes: ProfileNode[];
      samples: number[];
      timeDeltas: number[];
    };
    const nodes = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
    profile.samples.forEach((id, i) => {
      const frame = nodes.get(id)!;
      const us = profile.timeDeltas[i] ?? 0;
      if (frame.functionName === '(idle)') return;
      total += us;
      const where = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '';
      const name = `${frame.functionName || '(anonymous)'} ${where}`.trim();
      byFunction.set(name, (byFunction.get(name) ?? 0) + us);
      const area = areaOf(frame);
      byArea.set(area, (byArea.get(area) ?? 0) + us);
    });
  }
  const share = (us: number) => `${((100 * us) / total).toFixed(1)}%`.padStart(6);
  console.log(`cpu profile (${dir}): ${(total / 1e6).toFixed(1)} s busy; self time by area:`);
  for (const [area, us] of [...byArea].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`  ${share(us)}  ${area}`);
  console.log(`top ${top} functions by self time:`);
  for (const [name, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`  ${share(us)}  ${name}`);
  }
}

function shortUrl(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const modules = path.lastIndexOf('node_modules/');
  if (modules >= 0) return path.slice(modules + 'node_modules/'.length);
  const dist = path.indexOf('/dist/');
  return dist >= 0 ? path.slice(dist + '/dist/'.length) : path;
}

/** A package, an app library (`libs/ledger`), Node's own code, or V8's (`(garbage collector)`). */
function areaOf(frame: ProfileNode['callFrame']): string {
  if (!frame.url) return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  if (frame.url.startsWith('node:')) return 'node internals';
  const path = shortUrl(frame.url);
  if (path !== frame.url.replace(/^file:\/\//, '') && frame.url.includes('node_modules/')) {
    const parts = path.split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const parts = path.split('/');
  return parts[0] === 'libs' || parts[0] === 'apps' ? `${parts[0]}/${parts[1]}` : path;
}
