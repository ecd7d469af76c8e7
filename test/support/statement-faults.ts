import { Client } from 'pg';

type Fault = { kind: 'cut' } | { kind: 'delay'; ms: number } | { kind: 'none' };

interface Watch {
  pattern: RegExp;
  fault: Fault;
  resolve: (text: string) => void;
}

/**
 * Faults at a chosen statement of the app under test, on its real database connections:
 * a cut (the statement is sent, then the connection's socket is destroyed before its
 * answer comes back, as when the server goes away mid-query: the statement may or may not
 * have run), or a delay before the statement is sent (a slow network, without blocking
 * the event loop as a sleep inside the embedded database would). Works on any pg
 * connection in this test process, to a server or to the embedded database alike.
 * Install it before the app starts; uninstall after.
 */
export class StatementFaults {
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
      const send = () => (original as (...args: unknown[]) => unknown).call(this, config, ...rest);
      const matched = typeof text === 'string' ? watches.filter((w) => w.pattern.test(text)) : [];
      for (const watch of matched) watches.splice(watches.indexOf(watch), 1);
      // Watchers of a statement hear of it as it is issued; a delayed one, when it goes out.
      for (const watch of matched) if (watch.fault.kind === 'none') watch.resolve(text as string);
      const delay = matched.find((w) => w.fault.kind === 'delay')?.fault as { ms: number } | undefined;
      const faulty = matched.filter((w) => w.fault.kind !== 'none');
      if (delay) {
        // Only the promise form is delayed (every statement of the app uses it).
        return new Promise((r) => setTimeout(r, delay.ms)).then(() => {
          for (const watch of faulty) watch.resolve(text as string);
          return send();
        });
      }
      const result = send();
      for (const watch of faulty) {
        if (watch.fault.kind === 'cut') {
          cuts.push(text as string);
          (this as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
        }
        watch.resolve(text as string);
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
    return this.watch(pattern, { kind: 'cut' }, timeoutMs);
  }

  /** Holds the next statement matching `pattern` back for `ms` before it is sent; resolves once it is sent. */
  delayNext(pattern: RegExp, ms: number, timeoutMs = 15_000): Promise<string> {
    return this.watch(pattern, { kind: 'delay', ms }, timeoutMs);
  }

  /** Resolves with the next statement matching `pattern` as it is issued (nothing is done to it). */
  nextSent(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    return this.watch(pattern, { kind: 'none' }, timeoutMs);
  }

  private watch(pattern: RegExp, fault: Fault, timeoutMs: number): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const watch: Watch = {
        pattern,
        fault,
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
