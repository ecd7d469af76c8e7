import { randomBytes } from 'node:crypto';
import { CAPABILITIES, HARDWARE } from '../prover-profile';
import { Answer, answered, call, sleep } from './http';
import { AccountName, creditsOf, LedgerModel, PLATFORM } from './ledger-model';
import { AnswerTally } from './tally-of-answers';

export interface WorkloadConfig {
  /** Client users: each spends, submits jobs, is transferred to and held from. */
  clients: number;
  provers: number;
  /** Poll loops per prover (its max_concurrency). */
  pollLoops: number;
  spendLoops: number;
  transferLoops: number;
  holdLoops: number;
  /** Loops submitting jobs, spread over the clients. */
  submitLoops: number;
  /** Jobs submitted and not yet settled, at most. */
  maxUnsettledJobs: number;
  /** Each job's max_cost_micros (all of it held at submit); its final cost is drawn below it. */
  maxCostMicros: bigint;
  /** PLATFORM_FEE_BPS the server runs with: a prover earns cost × (10000 − fee) / 10000. */
  platformFeeBps: bigint;
  heartbeatMs: number;
  /** A prover "works" on a job up to this long before it reports. */
  workMs: number;
  /** Pause between two requests of one ledger or submit loop (0: as fast as answers come). */
  pauseMs: number;
  /**
   * Poll answers the provers drop on purpose (one in every twenty, up to this many), as if
   * the answer had died with the server: the job is RUNNING and its prover knows nothing of
   * it, so it must come back to a poll once the prover's heartbeats leave it out.
   */
  losePollAnswers: number;
}

/** One keyed mutation and how it ended. */
export interface Op {
  kind: 'mint' | 'spend' | 'transfer' | 'hold' | 'capture' | 'void' | 'submit' | 'result';
  key: string;
  /** Sent and not answered (a reset connection or a timeout), or answered 5xx, before its final answer. */
  inFlightAtFault: boolean;
  /** The final answer said it replays an earlier commit (Idempotent-Replayed). */
  replayed: boolean;
  status?: number;
  transferId?: string;
}

export interface JobRecord {
  id: string;
  clientJobId: string;
  client: string;
  costMicros: bigint;
  /** The prover whose report settled it, once the report's 201 COMPLETED arrived. */
  settledBy?: string;
}

interface Prover {
  id: string;
  headers: Record<string, string>;
  /** Jobs it has taken from a poll and not yet had its report answered for: its running_jobs. */
  running: Set<string>;
  completed: number;
}

const rand = (lo: bigint, hi: bigint) => lo + (BigInt('0x' + randomBytes(8).toString('hex')) % (hi - lo + 1n));
const pick = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)];
const user = (id: string): AccountName => ({ type: 'user', id });

/**
 * Clients and provers driving a real server over HTTP, as production traffic does: spends,
 * transfers, holds captured or voided, and job lifecycles (submit, poll, report) while
 * provers heartbeat. Every mutation carries an idempotency key (or client_job_id) and is
 * sent again, with the same key, until it gets a final answer, as a careful client would
 * through a crash or an outage; the model applies each final answer once.
 */
export class Workload {
  readonly tally = new AnswerTally();
  readonly model = new LedgerModel();
  readonly ops: Op[] = [];
  readonly jobs = new Map<string, JobRecord>();
  /** Whether heartbeats may carry running_jobs (the server refused the field otherwise). */
  runningJobsAccepted = false;
  runningJobsRefusal?: string;
  /** Called the moment a report's 201 COMPLETED arrives (a kill can be timed to it). */
  onSettled?: (jobId: string) => void;

  private readonly tag = `chaos${randomBytes(3).toString('hex')}`;
  private readonly admin: Record<string, string>;
  private clients: { id: string; headers: Record<string, string> }[] = [];
  private provers: Prover[] = [];
  private writesStopped = false;
  private proversStopped = false;
  private loops: Promise<void>[] = [];
  private proverLoops: Promise<void>[] = [];
  private unsettledJobs = 0;
  private pollAnswers = 0;
  /** Jobs whose poll answer a prover dropped on purpose. */
  readonly lostPollAnswers: string[] = [];
  private giveUpAt = Infinity;
  /** When the last 201 to a write arrived. */
  lastWriteAt = 0;

  constructor(
    private readonly url: string,
    adminKey: string,
    readonly config: WorkloadConfig,
  ) {
    this.admin = { authorization: `Bearer ${adminKey}` };
  }

  get settledJobs(): number {
    return [...this.jobs.values()].filter((j) => j.settledBy).length;
  }

  /** Keys, funded clients and registered provers, before any fault. */
  async setUp(): Promise<void> {
    for (let i = 0; i < this.config.clients; i++) {
      const id = `${this.tag}-client-${i}`;
      this.clients.push({ id, headers: await this.newKey('client', id) });
      await this.mint(user(id), 1_000_000_000_000n); // a million credits: no write is ever short
    }
    for (let i = 0; i < this.config.provers; i++) {
      const id = `${this.tag}-prover-${i}`;
      const headers = await this.newKey('prover', id);
      const res = await this.setupCall('POST', '/v1/provers/register', headers, {
        prover_id: id,
        hardware_profile: HARDWARE,
        capabilities: CAPABILITIES,
        max_concurrency: this.config.pollLoops,
      });
      if (res.status !== 201) throw new Error(`register ${id}: ${res.status} ${JSON.stringify(res.body)}`);
      this.provers.push({ id, headers, running: new Set(), completed: 0 });
    }
    // Does the server take running_jobs on a heartbeat? If not, provers beat without it (and the test says so).
    const probe = await this.setupCall('POST', `/v1/provers/${this.provers[0].id}/heartbeat`, this.provers[0].headers, {
      ...this.beat(),
      running_jobs: [],
    });
    this.runningJobsAccepted = probe.status === 200;
    if (!this.runningJobsAccepted) this.runningJobsRefusal = `${probe.status} ${JSON.stringify(probe.body)}`;
  }

  /** Starts every loop. */
  start(): void {
    const c = this.config;
    const each = (n: number, loop: (i: number) => Promise<void>) => Array.from({ length: n }, (_, i) => loop(i));
    this.proverLoops = [
      ...this.provers.map((p) => this.heartbeatLoop(p)),
      ...this.provers.flatMap((p) => each(c.pollLoops, () => this.pollLoop(p))),
    ];
    this.loops = [
      ...each(c.spendLoops, (i) => this.spendLoop(i)),
      ...each(c.transferLoops, (i) => this.transferLoop(i)),
      ...each(c.holdLoops, (i) => this.holdLoop(i)),
      ...each(c.submitLoops, (i) => this.submitLoop(i)),
    ];
  }

  /**
   * Stops new writes, waits for every write in flight to get its final answer, then for
   * every job submitted to be settled by its prover (or `deadline`), then stops the provers.
   * Returns the jobs still unsettled.
   */
  async drain(deadline: number): Promise<JobRecord[]> {
    this.writesStopped = true;
    this.giveUpAt = deadline;
    await Promise.all(this.loops);
    while (Date.now() < deadline && this.settledJobs < this.jobs.size) await sleep(100);
    this.proversStopped = true;
    await Promise.all(this.proverLoops);
    return [...this.jobs.values()].filter((j) => !j.settledBy);
  }

  /** Jobs each prover settled, by prover id. */
  completedByProver(): Map<string, number> {
    return new Map(this.provers.map((p) => [p.id, p.completed]));
  }

  // --- the loops ---------------------------------------------------------------------

  private async spendLoop(loop: number): Promise<void> {
    for (let n = 0; !this.writesStopped; n++) {
      const client = this.clients[loop % this.clients.length];
      const amount = rand(1n, 2_000_000n);
      const op = await this.write('spend', `${this.tag}-spend-${loop}-${n}`, '/v1/credits/spend', client.headers, {
        amount: creditsOf(amount),
      });
      if (op.status === 201) this.model.move(user(client.id), PLATFORM, amount);
      await sleep(this.config.pauseMs);
    }
  }

  private async transferLoop(loop: number): Promise<void> {
    for (let n = 0; !this.writesStopped; n++) {
      const from = pick(this.clients).id;
      const to = pick(this.clients.filter((c) => c.id !== from)).id;
      const amount = rand(1n, 5_000_000n);
      const op = await this.write('transfer', `${this.tag}-transfer-${loop}-${n}`, '/v1/credits/transfer', this.admin, {
        from: { account_type: 'user', account_id: from },
        to: { account_type: 'user', account_id: to },
        amount: creditsOf(amount),
      });
      if (op.status === 201) this.model.move(user(from), user(to), amount);
      await sleep(this.config.pauseMs);
    }
  }

  /** Places a hold, lets it sit a moment (so holds are open across faults), then captures part of it or voids it. */
  private async holdLoop(loop: number): Promise<void> {
    for (let n = 0; !this.writesStopped; n++) {
      const from = pick(this.clients).id;
      const held = rand(1n, 3_000_000n);
      const key = `${this.tag}-hold-${loop}-${n}`;
      const placed = await this.write('hold', key, '/v1/credits/holds', this.admin, {
        account_type: 'user',
        account_id: from,
        amount: creditsOf(held),
      });
      if (placed.status !== 201) continue;
      this.model.hold(user(from), held);
      await sleep(Math.random() * 200);
      const holdId = placed.transferId!;
      if (Math.random() < 0.6) {
        const captured = rand(1n, held);
        const op = await this.write('capture', `${key}-capture`, `/v1/credits/holds/${holdId}/capture`, this.admin, {
          amount: creditsOf(captured),
        });
        if (op.status === 201) this.model.resolveHold(user(from), held, captured);
      } else {
        const op = await this.write('void', `${key}-void`, `/v1/credits/holds/${holdId}/void`, this.admin, {});
        if (op.status === 201) this.model.resolveHold(user(from), held, 0n);
      }
      await sleep(this.config.pauseMs);
    }
  }

  private async submitLoop(loop: number): Promise<void> {
    for (let n = 0; !this.writesStopped; n++) {
      if (this.unsettledJobs >= this.config.maxUnsettledJobs) {
        await sleep(10);
        continue;
      }
      const client = this.clients[loop % this.clients.length];
      const cost = rand(1n, this.config.maxCostMicros);
      const clientJobId = `${this.tag}-job-${loop}-${n}`;
      this.unsettledJobs++;
      const op = await this.write('submit', clientJobId, '/v1/jobs/submit', client.headers, {
        client_job_id: clientJobId,
        payload: { cost: cost.toString(), client: client.id },
        max_cost_micros: this.config.maxCostMicros.toString(),
      });
      if (op.status === 201) {
        this.model.hold(user(client.id), this.config.maxCostMicros);
        const id: string = op.answer!.body.network_job_id;
        // Its prover may have settled it before this answer arrived.
        const settledBy = this.jobs.get(id)?.settledBy;
        this.jobs.set(id, { id, clientJobId, client: client.id, costMicros: cost, settledBy });
      } else {
        this.unsettledJobs--;
      }
      await sleep(this.config.pauseMs);
    }
  }

  private async heartbeatLoop(p: Prover): Promise<void> {
    while (!this.proversStopped) {
      const body = this.runningJobsAccepted ? { ...this.beat(), running_jobs: [...p.running] } : this.beat();
      const a = await call(this.url, 'POST', `/v1/provers/${p.id}/heartbeat`, { headers: p.headers, body });
      this.tally.add(a, 'heartbeat');
      if (answered(a) && a.status !== 200 && a.status < 500) {
        this.tally.violation(`heartbeat ${a.status} ${a.body?.code ?? ''}`, JSON.stringify(a.body));
      }
      await sleep(this.config.heartbeatMs);
    }
  }

  /** Long-polls; runs what it gets (a moment), reports success at the cost its payload names, until told to stop. */
  private async pollLoop(p: Prover): Promise<void> {
    while (!this.proversStopped) {
      const a = await call(this.url, 'POST', `/v1/provers/${p.id}/poll`, {
        headers: p.headers,
        body: { max_wait_seconds: 1 },
        timeoutMs: 15_000,
      });
      this.tally.add(a, 'poll');
      if (!answered(a) || a.status >= 500) {
        await sleep(answered(a) ? retryDelayMs(a) : 100);
        continue;
      }
      if (a.status === 204) continue;
      if (a.status !== 200) {
        this.tally.violation(`poll ${a.status} ${a.body?.code ?? ''}`, JSON.stringify(a.body));
        await sleep(100);
        continue;
      }
      const id: string = a.body.network_job_id;
      const payload = a.body.payload as { cost: string; client: string };
      if (p.running.has(id)) this.tally.violation('poll handed out a job its prover still runs', id);
      if (++this.pollAnswers % 20 === 10 && this.lostPollAnswers.length < this.config.losePollAnswers) {
        this.lostPollAnswers.push(id);
        continue;
      }
      p.running.add(id);
      await sleep(Math.random() * this.config.workMs);
      const op = await this.write('result', `result:${id}`, `/v1/jobs/${id}/result`, p.headers, {
        success: true,
        final_cost_micros: payload.cost,
      });
      p.running.delete(id);
      if (op.status !== 201) continue; // counted as a violation by write()
      if (op.answer!.body.outcome !== 'COMPLETED') {
        this.tally.violation(`result outcome ${op.answer!.body.outcome}`, JSON.stringify(op.answer!.body));
        continue;
      }
      const job = this.jobs.get(id);
      if (job?.settledBy) {
        this.tally.violation('a job settled twice', `${id} by ${job.settledBy} and ${p.id}`);
        continue;
      }
      if (job) job.settledBy = p.id;
      else
        this.jobs.set(id, {
          id,
          clientJobId: '?',
          client: payload.client,
          costMicros: BigInt(payload.cost),
          settledBy: p.id,
        });
      p.completed++;
      this.unsettledJobs--;
      const cost = BigInt(payload.cost);
      const reward = (cost * (10_000n - this.config.platformFeeBps)) / 10_000n;
      this.model.resolveHold(user(payload.client), this.config.maxCostMicros, cost);
      this.model.move(PLATFORM, { type: 'provider', id: p.id }, reward);
      this.onSettled?.(id);
    }
  }

  // --- requests ----------------------------------------------------------------------

  /**
   * Sends a keyed write until it has a final answer (anything but no answer or a 5xx),
   * with the same key each time; an answer other than 201 is a violation (no request here
   * can be refused: every account is funded, every id real).
   */
  private async write(
    kind: Op['kind'],
    key: string,
    path: string,
    headers: Record<string, string>,
    body: object,
  ): Promise<Op & { answer?: Answer }> {
    const op: Op & { answer?: Answer } = { kind, key, inFlightAtFault: false, replayed: false };
    this.ops.push(op);
    const keyed = kind === 'submit' || kind === 'result' ? headers : { ...headers, 'idempotency-key': key };
    for (;;) {
      if (Date.now() > this.giveUpAt) {
        this.tally.violation(`${kind}: no final answer before the deadline`, key);
        return op;
      }
      const a = await call(this.url, 'POST', path, { headers: keyed, body });
      this.tally.add(a, kind);
      if (!answered(a)) {
        // Refused: never sent, so nothing is in doubt. Anything else may have run.
        if (a.error !== 'ECONNREFUSED') op.inFlightAtFault = true;
        await sleep(100);
        continue;
      }
      if (a.status >= 500) {
        op.inFlightAtFault = true;
        await sleep(retryDelayMs(a));
        continue;
      }
      Object.assign(op, { status: a.status, replayed: a.replayed, answer: a });
      if (a.status === 201) {
        this.lastWriteAt = Date.now();
        if (kind !== 'submit' && kind !== 'result') op.transferId = a.body.transfer_id;
      } else {
        this.tally.violation(`${kind} ${a.status} ${a.body?.code ?? ''}`, `${key}: ${JSON.stringify(a.body)}`);
      }
      return op;
    }
  }

  private async mint(to: AccountName, micros: bigint): Promise<void> {
    const op = await this.write('mint', `${this.tag}-mint-${to.type}-${to.id}`, '/v1/credits/mint', this.admin, {
      account_type: to.type,
      account_id: to.id,
      amount: creditsOf(micros),
    });
    if (op.status !== 201) throw new Error(`mint to ${to.id}: ${op.status}`);
    this.model.mint(to, micros);
  }

  private async newKey(role: string, subject: string): Promise<Record<string, string>> {
    const res = await this.setupCall('POST', '/v1/admin/keys', this.admin, { role, subject });
    if (res.status !== 201) throw new Error(`new ${role} key: ${res.status} ${JSON.stringify(res.body)}`);
    return { authorization: `Bearer ${res.body.key}` };
  }

  /** A setup request: no fault is running yet, so anything but an answer is an error. */
  private async setupCall(method: string, path: string, headers: Record<string, string>, body: unknown) {
    const a = await call(this.url, method, path, { headers, body });
    if (!answered(a)) throw new Error(`${method} ${path}: no answer (${a.error})`);
    return a;
  }

  private beat() {
    return { hardware_profile: HARDWARE, capabilities: CAPABILITIES, load_factor: 0.1 };
  }
}

/** How long to wait after a 5xx: its Retry-After (at most a second, so load keeps up), else 100 ms. */
function retryDelayMs(a: Answer): number {
  const seconds = Number(a.retryAfter);
  return a.retryAfter !== null && Number.isFinite(seconds) ? Math.min(1_000, Math.max(50, seconds * 1000)) : 100;
}
