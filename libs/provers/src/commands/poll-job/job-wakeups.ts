import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { EventsHandler, IEventHandler } from '@nestjs/cqrs';
import { ProverJobAssigned } from '../../events/provers.events';

/**
 * Wakes long polls when a job is assigned to their prover (the JobAssigned outbox event,
 * published by this replica's relay). Polls also re-check on a timer, which covers
 * assignments relayed by another replica.
 */
@Injectable()
@EventsHandler(ProverJobAssigned)
export class JobWakeups implements IEventHandler<ProverJobAssigned>, BeforeApplicationShutdown {
  private readonly waiters = new Map<string, Set<() => void>>();
  private closing = false;

  /** True once the app is shutting down: polls answer at once instead of waiting. */
  get stopping(): boolean {
    return this.closing;
  }

  handle(event: ProverJobAssigned): void {
    for (const prover of event.payload.provers ?? []) this.wake(prover);
  }

  /** Resolves true when woken for this prover, false after `ms` or on abort/shutdown. */
  wait(proverId: string, ms: number, signal?: AbortSignal): Promise<boolean> {
    if (this.closing || signal?.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      let set = this.waiters.get(proverId);
      if (!set) this.waiters.set(proverId, (set = new Set()));
      const done = (woken: boolean) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        set.delete(wake);
        if (set.size === 0 && this.waiters.get(proverId) === set) this.waiters.delete(proverId);
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
    for (const set of [...this.waiters.values()]) for (const wake of [...set]) wake();
  }

  private wake(proverId: string): void {
    for (const wake of [...(this.waiters.get(proverId) ?? [])]) wake();
  }
}
