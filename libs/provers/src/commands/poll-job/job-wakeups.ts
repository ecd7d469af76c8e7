import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { IEventHandler } from '@nestjs/cqrs';
import { OutboxEventsHandler } from '@tally/database';
import { ProverReplicasQuery } from '@tally/jobs';
import { LoopBackoff, TallyEnv } from '@tally/shared';
import { ProverJobAssigned } from '../../events/provers.events';

/**
 * Wakes long polls when a job is assigned to their prover: at once on this replica's
 * JobAssigned (published right after the assigning commit), and, for assignments made by
 * another replica, by a recheck every PROVER_POLL_RECHECK_MS that asks the database in one
 * query which of the waiting provers have a replica waiting to start (one query per
 * interval however many polls wait, and none while nobody waits). A prover may wait in
 * several polls at once (one per slot): a job wakes one of them, the oldest.
 */
@Injectable()
@OutboxEventsHandler(ProverJobAssigned)
export class JobWakeups implements IEventHandler<ProverJobAssigned>, BeforeApplicationShutdown {
  private readonly logger = new Logger(JobWakeups.name);
  private readonly waiters = new Map<string, Set<() => void>>();
  /** Assignment streams (gRPC WatchAssignments): every one of a prover is woken, none takes a poll's wake. */
  private readonly watchers = new Map<string, Set<() => void>>();
  private closing = false;
  private recheck?: NodeJS.Timeout;
  private rechecking = false;
  private readonly recheckBackoff = new LoopBackoff(
    'long-poll recheck (polls still end at their deadline)',
    this.logger,
  );

  constructor(
    private readonly replicas: ProverReplicasQuery,
    private readonly env: TallyEnv,
  ) {}

  /** True once the app is shutting down: polls answer at once instead of waiting. */
  get stopping(): boolean {
    return this.closing;
  }

  /** One job for a prover wakes one of its polls (the others would only find nothing to take). */
  handle(event: ProverJobAssigned): void {
    for (const prover of event.payload.provers ?? []) {
      this.wakeOne(prover);
      this.wakeWatchers(prover);
    }
  }

  /**
   * For a stream of the prover's assignments: resolves true when a job is assigned to it (or
   * its state changes) on this replica, false after `ms` (the stream then re-reads, which
   * finds what other replicas assigned) or on abort/shutdown.
   */
  watch(proverId: string, ms: number, signal?: AbortSignal): Promise<boolean> {
    return this.sleep(this.watchers, proverId, ms, signal);
  }

  /** Wakes every assignment stream of this prover (a job for it, or a drain). */
  wakeWatchers(proverId: string): void {
    for (const wake of [...(this.watchers.get(proverId) ?? [])]) wake();
  }

  /** Resolves true when woken for this prover, false after `ms` or on abort/shutdown. */
  wait(proverId: string, ms: number, signal?: AbortSignal): Promise<boolean> {
    const woken = this.sleep(this.waiters, proverId, ms, signal, () => {
      if (this.waiters.size === 0) this.stopRechecks();
    });
    if (this.waiters.size > 0) this.startRechecks();
    return woken;
  }

  /**
   * Waits in `sleepers` under the prover until woken (true), or `ms` pass, the signal aborts or
   * the app shuts down (false); `left` runs once it is no longer waiting.
   */
  private sleep(
    sleepers: Map<string, Set<() => void>>,
    proverId: string,
    ms: number,
    signal?: AbortSignal,
    left?: () => void,
  ): Promise<boolean> {
    if (this.closing || signal?.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      let set = sleepers.get(proverId);
      if (!set) sleepers.set(proverId, (set = new Set()));
      const done = (woken: boolean) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        set.delete(wake);
        if (set.size === 0 && sleepers.get(proverId) === set) sleepers.delete(proverId);
        left?.();
        resolve(woken);
      };
      const wake = () => done(true);
      const onAbort = () => done(false);
      const timer = setTimeout(() => done(false), Math.max(0, ms));
      set.add(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  beforeApplicationShutdown(): void {
    this.closing = true;
    this.stopRechecks();
    for (const set of [...this.waiters.values(), ...this.watchers.values()]) for (const wake of [...set]) wake();
  }

  /** Wakes one poll of this prover (e.g. a job it was given back is waiting again). */
  wakeOne(proverId: string): void {
    const first = this.waiters.get(proverId)?.values().next();
    if (first && !first.done) first.value();
  }

  private startRechecks(): void {
    if (this.recheck || this.closing) return;
    this.recheck = setInterval(() => void this.recheckAll(), this.env.PROVER_POLL_RECHECK_MS);
    this.recheck.unref();
  }

  private stopRechecks(): void {
    clearInterval(this.recheck);
    this.recheck = undefined;
  }

  /** One query for every waiting prover; the ones with a replica waiting to start are woken. */
  private async recheckAll(): Promise<void> {
    if (this.rechecking || this.waiters.size === 0 || this.recheckBackoff.waiting) return;
    this.rechecking = true;
    try {
      for (const prover of await this.replicas.withWaitingReplicas([...this.waiters.keys()])) this.wakeOne(prover);
      this.recheckBackoff.succeeded();
    } catch (error) {
      this.recheckBackoff.failed(error);
    } finally {
      this.rechecking = false;
    }
  }
}
