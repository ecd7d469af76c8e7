import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiClient, ApiError, type JobToRun, type Registration, type ResultReport } from './api-client';
import { costOf, resultOf, type ServicePrice } from './cost';
import { runCommand, type RunningCommand } from './run-command';

export interface AgentOptions {
  proverId: string;
  command: string;
  maxConcurrency: number;
  heartbeatMs: number;
  /** How long one long poll waits (the API allows up to 30 s). */
  pollWaitSeconds: number;
  log: (message: string) => void;
}

/** A job this agent holds: running, or run and its report not yet acknowledged. */
interface Held {
  job: JobToRun;
  command?: RunningCommand;
  cancelled: boolean;
}

const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 10_000;
/** How long a stopping agent keeps asking the API to drain it before it stops without. */
const DRAIN_TRY_MS = 10_000;

/**
 * The prover's loop: register, then long-poll for jobs while there is room, run each, report
 * it; heartbeat the load and the jobs held. Every held job is listed in the heartbeat until
 * its report is acknowledged, so a restart (which lists none) gets back from the API, for its
 * next polls, the jobs the previous run had started.
 */
export class ProverAgent {
  private readonly held = new Map<string, Held>();
  private readonly services = new Map<string, Promise<ServicePrice>>();
  private draining = false;
  private drainRequest: Promise<void> = Promise.resolve();
  private pollAbort?: AbortController;
  /** Wakes the poll loop when a slot frees or the agent drains. */
  private wake: () => void = () => undefined;
  private heartbeatTimer?: NodeJS.Timeout;
  /** The last heartbeat's round trip: the latency this prover reports (w_latency weighs it). */
  private latencyMs?: number;

  constructor(
    private readonly api: ApiClient,
    private readonly options: AgentOptions,
  ) {}

  /** Registers (or updates) the prover and resumes it if a drain was left over from a previous run. */
  async register(registration: Omit<Registration, 'prover_id' | 'max_concurrency'>): Promise<void> {
    const { state, created } = await this.retrying('register', () =>
      this.api.register({
        ...registration,
        prover_id: this.options.proverId,
        max_concurrency: this.options.maxConcurrency,
      }),
    );
    this.options.log(`${created ? 'registered' : 'updated'} prover ${this.options.proverId} (${state})`);
    // This agent drains its prover when it stops: starting again undoes that.
    if (state === 'draining') {
      await this.retrying('resume', () => this.api.resume(this.options.proverId));
      this.options.log('resumed (a drain was left from before)');
    }
  }

  /** Runs until drained and every held job is reported. */
  async run(): Promise<void> {
    await this.heartbeat();
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.options.heartbeatMs);
    try {
      this.options.log(`polling for jobs (max concurrency ${this.options.maxConcurrency})`);
      for (;;) {
        if (this.held.size >= this.options.maxConcurrency) {
          await this.woken();
          continue;
        }
        // Once drained, what is still assigned to this prover is taken without waiting: a
        // drain stops new assignments, and what the prover holds is its to finish.
        const draining = this.draining;
        if (draining) await this.drainRequest;
        const job = await this.pollOnce(draining ? 0 : this.options.pollWaitSeconds);
        if (job) this.start(job);
        else if (draining) break;
      }
      while (this.held.size > 0) await this.woken();
    } finally {
      clearInterval(this.heartbeatTimer);
    }
  }

  /**
   * No new work: the API stops assigning to this prover, the waiting poll ends, the jobs
   * already assigned and running finish and are reported; then run() returns.
   */
  drain(): void {
    if (this.draining) return;
    this.draining = true;
    this.options.log(`draining: ${this.held.size} job(s) running`);
    const since = Date.now();
    this.drainRequest = this.retrying(
      'drain',
      () => this.api.drain(this.options.proverId),
      () => Date.now() - since > DRAIN_TRY_MS,
    ).catch((error) => this.options.log(`drain failed: ${describe(error)}`));
    // A poll aborted after the API started a job gives that job back, for the poll after the drain.
    this.pollAbort?.abort();
    this.wake();
  }

  /** Kills every running command's process group (they run detached, so they would outlive the agent). */
  killAll(): void {
    for (const held of this.held.values()) held.command?.kill();
  }

  private woken(): Promise<void> {
    return new Promise<void>((resolve) => (this.wake = resolve));
  }

  private async pollOnce(waitSeconds: number): Promise<JobToRun | null> {
    this.pollAbort = new AbortController();
    try {
      return await this.api.poll(this.options.proverId, waitSeconds, this.pollAbort.signal);
    } catch (error) {
      if (this.pollAbort.signal.aborted) return null;
      this.options.log(`poll failed: ${describe(error)}`);
      await sleep(RETRY_MAX_MS / 4);
      return null;
    }
  }

  private start(job: JobToRun): void {
    const id = job.network_job_id;
    if (this.held.has(id)) return; // Already ours (released and handed over again): it runs once.
    const held: Held = { job, cancelled: false };
    this.held.set(id, held);
    this.options.log(`job ${id}: running`);
    void this.execute(held).finally(() => {
      this.held.delete(id);
      this.wake();
    });
  }

  private async execute(held: Held): Promise<void> {
    const { job } = held;
    const id = job.network_job_id;
    held.command = runCommand(this.options.command, job, this.options.proverId);
    const outcome = await held.command.done;
    if (held.cancelled) {
      this.options.log(`job ${id}: cancelled, killed; nothing reported`);
      return;
    }
    let report: ResultReport;
    if (outcome.code === 0) {
      const service = job.service ? await this.retrying('service', () => this.service(job.service!)) : null;
      const cost = costOf(job, outcome.stdout.toString('utf8'), outcome.elapsedMs, service);
      const hash = createHash('sha256')
        .update(resultOf(outcome.stdout.toString('utf8')))
        .digest('hex');
      report = { success: true, final_cost_micros: cost.micros.toString(), result_hash: hash };
      this.options.log(
        `job ${id}: done in ${Math.round(outcome.elapsedMs)} ms, cost ${cost.micros} micros (${cost.basis})`,
      );
    } else {
      const how = outcome.signal ? `killed by ${outcome.signal}` : `exit code ${outcome.code}`;
      const error_message = `${how}: ${outcome.stderrTail.trim()}`.slice(0, 2048);
      report = { success: false, error_message };
      this.options.log(`job ${id}: failed (${how})`);
    }
    try {
      const answer = await this.retrying(
        `report ${id}`,
        () => this.api.report(id, report),
        () => held.cancelled,
      );
      this.options.log(`job ${id}: ${answer.outcome}, reward ${answer.reward_micros ?? 0} micros`);
    } catch (error) {
      // Refused for good (the job was cancelled, timed out or decided meanwhile): nothing to retry.
      this.options.log(`job ${id}: report refused: ${describe(error)}`);
    }
  }

  private service(id: string): Promise<ServicePrice> {
    let price = this.services.get(id);
    if (!price) {
      price = this.api.service(id);
      // A failed read is not kept: the next job reads again.
      price.catch(() => this.services.delete(id));
      this.services.set(id, price);
    }
    return price;
  }

  /** Load and the jobs held; cancelled ones are killed (and reported on no more). */
  private async heartbeat(): Promise<void> {
    const running = [...this.held.keys()];
    try {
      const sentAt = performance.now();
      const answer = await this.api.heartbeat(
        this.options.proverId,
        Math.min(1, running.length / this.options.maxConcurrency),
        running,
        this.latencyMs,
      );
      this.latencyMs = Math.round(performance.now() - sentAt);
      for (const id of answer.cancelled_jobs) {
        const held = this.held.get(id);
        if (!held || held.cancelled) continue;
        held.cancelled = true;
        held.command?.kill();
      }
    } catch (error) {
      this.options.log(`heartbeat failed: ${describe(error)}`);
    }
  }

  /** Tries `call` until it succeeds, with backoff on network errors and transient answers. */
  private async retrying<T>(what: string, call: () => Promise<T>, giveUp: () => boolean = () => false): Promise<T> {
    for (let delay = RETRY_MIN_MS; ; delay = Math.min(RETRY_MAX_MS, delay * 2)) {
      try {
        return await call();
      } catch (error) {
        if ((error instanceof ApiError && !error.transient) || giveUp()) throw error;
        this.options.log(`${what} failed, retrying in ${delay} ms: ${describe(error)}`);
        await sleep(delay);
      }
    }
  }
}

export function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}
