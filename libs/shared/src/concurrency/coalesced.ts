/**
 * A job that runs at most once at a time in this process: a call while it runs asks for
 * one more run right after, so no trigger is lost and none overlaps. Used by the
 * scheduler's and the settlement's clocks.
 */
export class Coalesced {
  private running: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly work: () => Promise<void>,
    private readonly stopped: () => boolean,
  ) {}

  run(): void {
    if (this.stopped()) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => (this.running = null));
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      await this.work();
    } while (this.again && !this.stopped());
  }

  /** Resolves when the current run (if any) is over. */
  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }
}
