import { Client } from 'pg';

interface Watch {
  pattern: RegExp;
  cut: boolean;
  resolve: (text: string) => void;
}

/**
 * Cuts a real database connection of the app under test at a chosen statement: the
 * statement is sent, then the connection's socket is destroyed before its answer comes
 * back, as when the server goes away mid-query (the statement may or may not have run).
 * Works on any pg connection in this test process, to a server or to the embedded
 * database alike. Install it before the app starts; uninstall after.
 */
export class ConnectionCutter {
  private readonly watches: Watch[] = [];
  private original?: Client['query'];
  /** Statements cut so far. */
  readonly cuts: string[] = [];

  install(): this {
    if (this.original) return this;
    const original = (this.original = Client.prototype.query);
    const watches = this.watches;
    const cuts = this.cuts;
    Client.prototype.query = function (this: Client, config: unknown, ...rest: unknown[]) {
      const text = typeof config === 'string' ? config : (config as { text?: unknown } | null)?.text;
      const result = (original as (...args: unknown[]) => unknown).call(this, config, ...rest);
      if (typeof text === 'string') {
        for (const watch of [...watches]) {
          if (!watch.pattern.test(text)) continue;
          watches.splice(watches.indexOf(watch), 1);
          if (watch.cut) {
            cuts.push(text);
            (this as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
          }
          watch.resolve(text);
        }
      }
      return result;
    } as Client['query'];
    return this;
  }

  uninstall(): void {
    if (this.original) Client.prototype.query = this.original;
    this.original = undefined;
  }

  /** Cuts the connection under the next statement matching `pattern`; resolves with its text once cut. */
  cutNext(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    return this.watch(pattern, true, timeoutMs);
  }

  /** Resolves with the next statement matching `pattern` once it is sent (nothing is cut). */
  nextSent(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    return this.watch(pattern, false, timeoutMs);
  }

  private watch(pattern: RegExp, cut: boolean, timeoutMs: number): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const watch: Watch = {
        pattern,
        cut,
        resolve: (text) => {
          clearTimeout(timer);
          resolve(text);
        },
      };
      const timer = setTimeout(() => {
        this.watches.splice(this.watches.indexOf(watch), 1);
        reject(new Error(`no statement matching ${pattern} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.watches.push(watch);
    });
  }
}
