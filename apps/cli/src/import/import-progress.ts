import { Presets, SingleBar } from 'cli-progress';

/**
 * Lines done of the file's total, with items/s and the time left: a bar on a terminal's
 * stderr; otherwise (a pipe, a log) one line every `everyBatches` batches.
 */
export class ImportProgress {
  private bar?: SingleBar;
  private readonly started = Date.now();
  private items = 0;
  private batches = 0;
  private total = 0;
  private from = 0;

  constructor(
    private readonly interactive = process.stderr.isTTY === true,
    private readonly everyBatches = 10,
  ) {}

  /** `from`: lines done by an earlier run (a resume), not counted in the rate. */
  start(total: number, from: number): void {
    this.total = total;
    this.from = from;
    if (!this.interactive) return;
    this.bar = new SingleBar(
      {
        format: 'importing [{bar}] {percentage}% {value}/{total} lines | {rate} items/s | ETA {eta_formatted}',
        stream: process.stderr,
        etaBuffer: 50,
      },
      Presets.shades_classic,
    );
    this.bar.start(total, from, { rate: '0' });
  }

  /** A batch's outcome is recorded: lines done so far, items it sent. */
  advance(linesDone: number, items: number): void {
    this.items += items;
    this.batches++;
    const rate = this.rate();
    if (this.bar) return this.bar.update(linesDone, { rate: rate.toFixed(0) });
    if (this.batches % this.everyBatches !== 0) return;
    const left =
      rate > 0 ? Math.ceil(((this.total - linesDone) * (this.items / Math.max(1, linesDone - this.from))) / rate) : 0;
    console.error(`importing: ${linesDone}/${this.total} lines, ${rate.toFixed(0)} items/s, ETA ${left} s`);
  }

  rate(): number {
    const seconds = (Date.now() - this.started) / 1000;
    return seconds > 0 ? this.items / seconds : 0;
  }

  elapsedMs(): number {
    return Date.now() - this.started;
  }

  stop(linesDone: number): void {
    if (!this.bar) return;
    this.bar.update(linesDone);
    this.bar.stop();
  }
}
