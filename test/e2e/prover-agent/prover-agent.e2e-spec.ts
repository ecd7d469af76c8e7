import { ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILD_ENV } from '../../support/global-setup';
import { JobsCtx } from '../../support/jobs-ctx';
import { listening } from '../../support/sse-client';
import { startTestApp, TestApp } from '../../support/test-app';

/** The platform's share: PLATFORM_FEE_BPS, its default (the app runs with it). */
const FEE_BPS = 1000n;
const rewardOf = (costMicros: bigint) => (costMicros * (10_000n - FEE_BPS)) / 10_000n;

/**
 * One command for every job, chosen by the payload: the agent runs it with `sh -c`, the
 * payload on stdin and the job's metadata in TALLY_JOB_*.
 * - {"echo": n}: prints the job id and the payload, and meters 300000 micros;
 * - {"slow": n}: the same after a second and a half (to be caught running);
 * - {"timed": n}: runs 0.3 s and meters nothing (a service priced by time prices it);
 * - {"hang": n}: starts a sleep in the background, writes its pid, and waits for it.
 */
const COMMAND = `payload=$(cat)
case "$payload" in
  *hang*) sleep 120 & echo $! > "$AGENT_TEST_DIR/$TALLY_JOB_ID.pid"; wait ;;
  *timed*) sleep 0.3; echo "timed $TALLY_JOB_ID" ;;
  *slow*) sleep 1.5; echo "$TALLY_JOB_ID $payload"; echo TALLY_COST_MICROS=300000 ;;
  *) echo "$TALLY_JOB_ID $payload"; echo TALLY_COST_MICROS=300000 ;;
esac`;

/** Whether a process still runs (a zombie left to a parent that does not reap counts as gone). */
function running(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (existsSync('/proc/self/stat')) {
    if (!existsSync(stat)) return false;
    try {
      return readFileSync(stat, 'utf8').split(') ')[1]?.[0] !== 'Z';
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until<T>(what: string, read: () => Promise<T> | T, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Agent {
  proc: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

describe('tally-prover: two agents run real commands against the real server', () => {
  let t: TestApp;
  let ctx: JobsCtx;
  let url: string;
  let dir: string;
  const agents: Agent[] = [];
  let a: { name: string; key: Record<string, string> };
  let b: { name: string; key: Record<string, string> };
  let agentA: Agent;
  let agentB: Agent;
  /** Submitted while both agents drained: it waits for a prover. */
  let lateJob: string;

  /** Starts the compiled agent (as `npm run prover` does) and waits until it polls. */
  async function startAgent(prover: { key: Record<string, string> }): Promise<Agent> {
    const main = join(process.env[BUILD_ENV]!, 'apps/prover-agent/src/main.js');
    const proc = spawn(
      process.execPath,
      [main, '--url', url, '--exec', COMMAND, '--heartbeat-seconds', '1', '--poll-wait-seconds', '5'],
      {
        env: {
          PATH: process.env.PATH ?? '',
          TALLY_PROVER_KEY: prover.key.Authorization.replace('Bearer ', ''),
          AGENT_TEST_DIR: dir,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
    const agent = { proc, output: () => out, exited: new Promise<number | null>((r) => proc.once('exit', r)) };
    agents.push(agent);
    await until(
      'the agent to poll',
      () => out,
      (o) => o.includes('polling for jobs') || proc.exitCode !== null,
    );
    if (!out.includes('polling for jobs')) throw new Error(`agent exited:\n${out}`);
    return agent;
  }

  const job = async (id: string) => (await ctx.job(id).expect(200)).body;

  beforeAll(async () => {
    // A restarted agent's unacknowledged start comes back after a second, not the liveness TTL.
    t = await startTestApp({ SCHEDULER_TICK_MS: '50', PROVER_START_ACK_GRACE_MS: '1000' });
    ctx = new JobsCtx(t);
    url = `http://127.0.0.1:${await listening(t)}`;
    dir = mkdtempSync(join(tmpdir(), 'tally-agent-'));
    // Keys only: each agent registers its own prover, from the machine it detects.
    a = await ctx.prover();
    b = await ctx.prover();
    [agentA, agentB] = await Promise.all([startAgent(a), startAgent(b)]);
  });
  afterAll(async () => {
    for (const agent of agents) if (agent.proc.exitCode === null) agent.proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    await t.close();
  });

  it('registers the detected machine, then heartbeats its load alone', async () => {
    for (const p of [a, b]) {
      const prover = (await t.http().get(`/v1/provers/${p.name}`).set(ctx.admin())).body;
      expect(prover).toMatchObject({ prover_id: p.name, state: 'active', max_concurrency: 1 });
      const { hardware_profile } = (await t.http().get(`/v1/provers/${p.name}/capabilities`).set(p.key)).body;
      expect(hardware_profile.cpu_cores).toBeGreaterThanOrEqual(1);
      expect(hardware_profile.ram_gb).toBeGreaterThan(0);
    }
    // Its heartbeats carry the load and the running jobs, no profile, and are taken.
    const beatAt = async (name: string) =>
      new Date((await t.http().get(`/v1/provers/${name}`).set(ctx.admin())).body.last_heartbeat).getTime();
    const first = await beatAt(a.name);
    await until(
      'a later heartbeat',
      () => beatAt(a.name),
      (at) => at > first,
    );
    for (const agent of [agentA, agentB]) expect(agent.output()).not.toContain('heartbeat failed');
    // From its second heartbeat on, it reports the first one's round trip as its latency.
    const [{ latency_ms }] = await t.dataSource.query('SELECT latency_ms FROM provers WHERE prover_id = $1', [a.name]);
    expect(latency_ms).toEqual(expect.any(Number));
    expect(latency_ms).toBeGreaterThanOrEqual(0);
    expect(latency_ms).toBeLessThan(60_000);
  });

  it('both agents run jobs; each job settles at its metered cost and the provers earn the exact rewards', async () => {
    const client = await ctx.fundedClient('10');
    const ids: string[] = [];
    for (let n = 0; n < 6; n++) {
      ids.push(
        (await ctx.submit(client.key, { payload: { slow: n }, max_cost_micros: 1_000_000 }).expect(201)).body
          .network_job_id,
      );
    }
    const done = await Promise.all(
      ids.map((id) =>
        until(
          `job ${id}`,
          () => job(id),
          (j) => j.status === 'COMPLETED' || j.status === 'AUDITED',
          30_000,
        ),
      ),
    );
    const earned = new Map<string, bigint>();
    done.forEach((j, n) => {
      expect(j.final_cost_micros).toBe('300000');
      const [replica] = j.assignments;
      // sha256 of what the command printed, its metering line left out.
      const stdout = `${j.network_job_id} ${JSON.stringify({ slow: n })}\n`;
      expect(replica.result_hash).toBe(createHash('sha256').update(stdout).digest('hex'));
      expect(replica.reward_micros).toBe(rewardOf(300_000n).toString());
      earned.set(replica.prover_id, (earned.get(replica.prover_id) ?? 0n) + rewardOf(300_000n));
    });
    // Each runs one job at a time: six jobs of 1.5 s went to both.
    expect([...earned.keys()].sort()).toEqual([a.name, b.name].sort());
    expect(await ctx.postedMicros('provider', a.name)).toBe(earned.get(a.name));
    expect(await ctx.postedMicros('provider', b.name)).toBe(earned.get(b.name));
    expect(await ctx.postedMicros('user', client.name)).toBe(10_000_000n - 6n * 300_000n);
  }, 60_000);

  it('a service priced by time is charged for the time the command ran', async () => {
    const service = 'agent-seconds';
    await t
      .http()
      .put(`/v1/registry/services/${service}`)
      .set(ctx.admin())
      .send({
        price_per_unit: '0.1',
        unit: 'second',
        size_factor: '1',
        minimum_charge: '0.01',
        hardware_requirements: {},
      })
      .expect(201);
    const client = await ctx.fundedClient('10');
    const before = new Map([
      [a.name, await ctx.postedMicros('provider', a.name)],
      [b.name, await ctx.postedMicros('provider', b.name)],
    ]);
    const submitted = await ctx.submit(client.key, {
      payload: { timed: 1 },
      service,
      units: '5',
      max_cost_micros: 1_000_000,
    });
    expect(submitted.status).toBe(201);
    expect(submitted.body.held_micros).toBe('500000'); // 5 s at 0.1 credits
    const id = submitted.body.network_job_id;
    const settled = await until(
      'the timed job',
      () => job(id),
      (j) => j.status === 'COMPLETED' || j.status === 'AUDITED',
    );
    // 0.1 credits a second for at least the 0.3 s it slept, well under the 5 s held.
    const cost = BigInt(settled.final_cost_micros);
    expect(cost).toBeGreaterThanOrEqual(30_000n);
    expect(cost).toBeLessThan(500_000n);
    const prover = settled.assignments[0].prover_id as string;
    expect(settled.assignments[0].reward_micros).toBe(rewardOf(cost).toString());
    expect((await ctx.postedMicros('provider', prover)) - before.get(prover)!).toBe(rewardOf(cost));
    expect(await ctx.postedMicros('user', client.name)).toBe(10_000_000n - cost);
  });

  it("a cancel kills the job's process group and the agent reports nothing; it runs the next job", async () => {
    const client = await ctx.fundedClient('10');
    const id = (await ctx.submit(client.key, { payload: { hang: 1 }, max_cost_micros: 1_000_000 }).expect(201)).body
      .network_job_id;
    const pidFile = join(dir, `${id}.pid`);
    const pid = Number(
      await until(
        'the command to start',
        () => (existsSync(pidFile) ? readFileSync(pidFile, 'utf8').trim() : ''),
        (s) => /^\d+$/.test(s),
      ),
    );
    expect(running(pid)).toBe(true);
    await t.http().post(`/v1/jobs/${id}/cancel`).set(client.key).send({}).expect(200);
    // The sleep the command started in the background goes with the group.
    await until(
      `process ${pid} to be killed`,
      () => running(pid),
      (alive) => !alive,
    );
    const cancelled = await job(id);
    expect(cancelled.status).toBe('CANCELLED');
    expect(cancelled.assignments[0]).toMatchObject({ result_hash: null, reward_micros: null });
    const holder = cancelled.assignments[0].prover_id === a.name ? agentA : agentB;
    await until(
      'the agent to log the cancel',
      () => holder.output(),
      (o) => o.includes(`job ${id}: cancelled, killed; nothing reported`),
    );
    expect(holder.output()).not.toContain(`job ${id}: COMPLETED`);
    expect(await ctx.postedMicros('user', client.name)).toBe(10_000_000n); // a full refund

    const next = (await ctx.submit(client.key, { payload: { echo: 1 }, max_cost_micros: 1_000_000 }).expect(201)).body
      .network_job_id;
    await until(
      'the next job',
      () => job(next),
      (j) => j.status === 'COMPLETED' || j.status === 'AUDITED',
    );
  });

  it('an agent killed mid-job and started again loses no assignment', async () => {
    const client = await ctx.fundedClient('10');
    // Both agents busy with one slow job each: the scheduler gives one to each (one at a time).
    const ids = [];
    for (let n = 0; n < 2; n++) {
      ids.push(
        (await ctx.submit(client.key, { payload: { slow: 100 + n }, max_cost_micros: 1_000_000 }).expect(201)).body
          .network_job_id,
      );
    }
    const started = await Promise.all(
      ids.map((id) =>
        until(
          `job ${id} to run`,
          () => job(id),
          (j) => j.status === 'RUNNING',
        ),
      ),
    );
    const onA = started.find((j) => j.assignments[0].prover_id === a.name)!;
    agentA.proc.kill('SIGKILL');
    await agentA.exited;
    agentA = await startAgent(a);
    // The restart's heartbeats do not list the job: the API gives it back, its poll takes it again.
    const settled = await until(
      'the job to settle',
      () => job(onA.network_job_id),
      (j) => j.status === 'COMPLETED' || j.status === 'AUDITED',
    );
    expect(settled.assignments[0]).toMatchObject({ prover_id: a.name, reward_micros: rewardOf(300_000n).toString() });
    expect(agentA.output()).toContain(`job ${onA.network_job_id}: COMPLETED`);
    await Promise.all(
      ids.map((id) =>
        until(
          `job ${id}`,
          () => job(id),
          (j) => j.status === 'COMPLETED' || j.status === 'AUDITED',
        ),
      ),
    );
  }, 60_000);

  it('SIGTERM drains: no new work, the running job finishes and is reported, then the agent exits 0', async () => {
    const client = await ctx.fundedClient('10');
    const ids = [];
    for (let n = 0; n < 2; n++) {
      ids.push(
        (await ctx.submit(client.key, { payload: { slow: 200 + n }, max_cost_micros: 1_000_000 }).expect(201)).body
          .network_job_id,
      );
    }
    await Promise.all(
      ids.map((id) =>
        until(
          `job ${id} to run`,
          () => job(id),
          (j) => j.status === 'RUNNING',
        ),
      ),
    );
    agentA.proc.kill('SIGTERM');
    agentB.proc.kill('SIGTERM');
    const drained = async (p: { name: string }) =>
      (await t.http().get(`/v1/provers/${p.name}`).set(ctx.admin())).body.state === 'draining';
    await until('both drained', async () => (await drained(a)) && (await drained(b)), Boolean);
    // Submitted while they finish: no agent takes it.
    const late = (await ctx.submit(client.key, { payload: { echo: 300 }, max_cost_micros: 1_000_000 }).expect(201)).body
      .network_job_id;
    expect(await Promise.all([agentA.exited, agentB.exited])).toEqual([0, 0]);
    // Exited only once its job was reported: both settled before the agents were gone.
    for (const id of ids) expect(['COMPLETED', 'AUDITED']).toContain((await job(id)).status);
    expect((await job(late)).status).toBe('PENDING');
    expect(agentA.output()).toContain('drained: exiting');
    lateJob = late;
  }, 60_000);

  it('started again, the agent resumes its drained prover and takes what waited; idle, SIGTERM exits at once', async () => {
    agentA = await startAgent(a);
    expect(agentA.output()).toContain('resumed (a drain was left from before)');
    await until(
      'the job that waited',
      () => job(lateJob),
      (j) => j.status === 'COMPLETED' || j.status === 'AUDITED',
    );
    expect((await job(lateJob)).assignments[0].prover_id).toBe(a.name);
    await until(
      'the agent to report it',
      () => agentA.output(),
      (o) => o.includes(`job ${lateJob}: COMPLETED`),
    );
    agentA.proc.kill('SIGTERM');
    expect(await agentA.exited).toBe(0);
    // It exits only once the API has it drained.
    expect((await t.http().get(`/v1/provers/${a.name}`).set(ctx.admin())).body.state).toBe('draining');
  });
});
