/** One item's outcome in a batch: its value, or the error that item alone fails with. */
export type Settled<O> = { value: O } | { error: unknown };

export interface GroupCommitOptions<I = unknown> {
  /** At most this many items per batch (default 256). */
  maxBatch?: number;
  /** Batches written at once (default 1: each batch sees everything the previous one committed). */
  maxInFlight?: number;
  /** When true for a call, it is written at once as a batch of one (e.g. inside the caller's transaction). */
  inline?: () => boolean;
  /**
   * Milliseconds an idle writer waits for company before writing (default 0: at once).
   * For work nobody waits on, where fewer, larger batches beat a prompt answer.
   */
  lingerMs?: number;
  /**
   * Whether the next batch may be written while others are in flight (default: always, up
   * to maxInFlight). When false it waits for them to finish, and grows meanwhile. A batch
   * is always written when nothing is in flight. While it waits, each arrival asks again
   * with the same array, grown at its end (so the answer can be kept up incrementally).
   */
  mayStartWhileBusy?: (next: readonly I[]) => boolean;
  /** Told of each batch as it starts: its size and how long its oldest item waited (metrics). */
  onBatch?: (size: number, waitedSeconds: number) => void;
}

interface Waiting<I, O> {
  item: I;
  /** performance.now() when it was submitted (only with onBatch). */
  at: number;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: calls that arrive while a batch is being written wait, and go together in
 * the next batch, so N concurrent calls cost one transaction (and a hot row one lock)
 * instead of N. Nothing waits for a timer: an idle writer writes a call at once, and a
 * busy one batches exactly what arrived meanwhile, so batches grow only under load.
 *
 * `write` answers each item on its own (a business refusal is that item's error, not the
 * batch's). If `write` throws, no item is trusted: each is written again alone, so one bad
 * item never fails its neighbours.
 */
export class GroupCommit<I, O> {
  private queue: Waiting<I, O>[] = [];
  private inFlight = 0;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  private idleWaiters: (() => void)[] = [];
  private lingering?: NodeJS.Timeout;
  /** The next batch's items while it waits on mayStartWhileBusy: appended to, not rebuilt per arrival. */
  private waitingBatch?: I[];
  /** Batches written, items in them, and batches that failed whole and were split. */
  readonly counts = { batches: 0, items: 0, split: 0 };

  constructor(
    private readonly write: (items: I[]) => Promise<Settled<O>[]>,
    private readonly options: GroupCommitOptions<I> = {},
  ) {
    this.maxBatch = options.maxBatch ?? 256;
    this.maxInFlight = options.maxInFlight ?? 1;
  }

  submit(item: I): Promise<O> {
    if (this.options.inline?.()) return this.writeOne(item);
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject, at: this.options.onBatch ? performance.now() : 0 });
      if (this.lingering) return;
      if (this.options.lingerMs && this.inFlight === 0 && this.queue.length === 1) {
        this.lingering = setTimeout(() => {
          this.lingering = undefined;
          this.drain();
        }, this.options.lingerMs);
        return;
      }
      this.drain();
    });
  }

  /** Resolves once nothing is queued or being written (a lingering batch is written now). */
  idle(): Promise<void> {
    if (this.lingering) {
      clearTimeout(this.lingering);
      this.lingering = undefined;
      this.drain();
    }
    if (this.queue.length === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async writeOne(item: I): Promise<O> {
    const [result] = await this.write([item]);
    if ('error' in result) throw result.error;
    return result.value;
  }

  private drain(): void {
    while (this.queue.length > 0 && this.inFlight < this.maxInFlight) {
      const mayStart = this.options.mayStartWhileBusy;
      if (this.inFlight > 0 && mayStart) {
        const next = (this.waitingBatch ??= []);
        const size = Math.min(this.queue.length, this.maxBatch);
        for (let i = next.length; i < size; i++) next.push(this.queue[i].item);
        if (!mayStart(next)) return;
      }
      this.waitingBatch = undefined;
      const batch = this.queue.splice(0, this.maxBatch);
      this.options.onBatch?.(batch.length, (performance.now() - batch[0].at) / 1000);
      this.inFlight++;
      void this.flush(batch).finally(() => {
        this.inFlight--;
        this.drain();
        if (this.queue.length === 0 && this.inFlight === 0) {
          const waiters = this.idleWaiters;
          this.idleWaiters = [];
          waiters.forEach((w) => w());
        }
      });
    }
  }

  private async flush(batch: Waiting<I, O>[]): Promise<void> {
    let results: Settled<O>[];
    try {
      results = await this.write(batch.map((w) => w.item));
      if (results.length !== batch.length) throw new Error(`a batch of ${batch.length} got ${results.length} answers`);
    } catch (error) {
      if (batch.length === 1) return batch[0].reject(error);
      this.counts.split++;
      await Promise.all(batch.map((w) => this.flush([w])));
      return;
    }
    this.counts.batches++;
    this.counts.items += batch.length;
    batch.forEach((w, i) => {
      const r = results[i];
      if ('error' in r) w.reject(r.error);
      else w.resolve(r.value);
    });
  }
}
