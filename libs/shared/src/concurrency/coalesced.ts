import { LoopBackoff } from './loop-backoff';

/**
 * A job that runs at most once at a time in this process: a call while it runs asks for
 * one more run right after, so no trigger is lost and none overlaps. A run that throws is
 * reported to `backoff`, and calls are ignored until its wait is over (the loop's clock
 * calls again). Used by the scheduler's and the settlement's clocks.
 */
export class Coalesced {
  private running: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly work: () => Promise<unknown>,
    private readonly stopped: () => boolean,
    private readonly backoff: LoopBackoff,
    /** Told of each run's duration and outcome (metrics); must be cheap. */
    private readonly onRun?: (seconds: number, ok: boolean) => void,
  ) {}

  run(): void {
    if (this.stopped() || this.backoff.waiting) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => (this.running = null));
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      const started = performance.now();
      try {
        await this.work();
        this.onRun?.((performance.now() - started) / 1000, true);
        this.backoff.succeeded();
      } catch (error) {
        this.onRun?.((performance.now() - started) / 1000, false);
        this.backoff.failed(error);
        return;
      }
    } while (this.again && !this.stopped());
  }

  /** Resolves when the current run (if any) is over. */
  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }
}
