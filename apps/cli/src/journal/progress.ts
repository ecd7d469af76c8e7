import { Presets, SingleBar } from 'cli-progress';

/** Rows done of a known total: a bar on a terminal, otherwise a plain line every few seconds. */
export class RowProgress {
  private bar?: SingleBar;
  private done = 0;
  private total = 0;
  private lastLine = 0;
  private lines = 0;

  constructor(
    private readonly verb: string,
    private readonly interactive = process.stderr.isTTY === true,
    private readonly everyMs = 2000,
  ) {}

  start(total: number): void {
    this.total = total;
    this.lastLine = Date.now(); // a run shorter than one interval prints no progress at all
    if (this.interactive) {
      this.bar = new SingleBar(
        { format: `${this.verb} [{bar}] {value}/{total} rows  {table}`, stream: process.stderr },
        Presets.shades_classic,
      );
      this.bar.start(total, 0, { table: '' });
    }
  }

  advance(rows: number, table: string): void {
    this.done += rows;
    if (this.bar) return this.bar.update(this.done, { table });
    const now = Date.now();
    if (now - this.lastLine < this.everyMs) return;
    this.lastLine = now;
    this.lines++;
    console.error(`${this.verb}: ${this.done}/${this.total} rows (${table})`);
  }

  stop(): void {
    this.bar?.stop();
    if (!this.bar && this.lines > 0) console.error(`${this.verb}: ${this.done}/${this.total} rows`);
  }
}
