import { LoopBackoff, type LoopLogger } from './loop-backoff';

/**
 * The body of a periodic sweep (hold expiry, unbonding, dispute windows): each tick runs
 * `work` unless the loop is backing off after failures (LoopBackoff) or stopping, and a stop
 * waits for the tick in flight, so no sweep starts once shutdown begins (the pool closes
 * after it). The timer is the caller's (@Interval on a method that calls tick).
 */
export class SweepLoop {
  private readonly backoff: LoopBackoff;
  private running: Promise<number> = Promise.resolve(0);
  private stopping = false;

  constructor(
    name: string,
    logger: LoopLogger,
    private readonly work: () => Promise<number>,
  ) {
    this.backoff = new LoopBackoff(name, logger);
  }

  /** One sweep; resolves to what it did (0 when skipped or failed: a failure is logged by the backoff). */
  tick(): Promise<number> {
    if (this.stopping || this.backoff.waiting) return Promise.resolve(0);
    this.running = this.work().then(
      (done) => {
        this.backoff.succeeded();
        return done;
      },
      (error: unknown) => {
        this.backoff.failed(error);
        return 0;
      },
    );
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
  }
}
