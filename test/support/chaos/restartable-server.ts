import { BuiltServer, Exit, spawnServer } from '../built-server';
import { sleep } from './http';
import { freePort } from '../free-port';

/** An exit nobody asked for, with the end of what the process wrote. */
export interface UnexpectedExit extends Exit {
  at: number;
  stderr: string;
}

type Process = Omit<BuiltServer, 'url' | 'port'>;

/**
 * The compiled server on a fixed port, as a supervisor runs it: started, SIGKILLed and
 * started again on the same database and address. Exits it did not cause are recorded.
 */
export class RestartableServer {
  readonly url: string;
  starts = 0;
  kills = 0;
  /** Milliseconds from each spawn until /health answered. */
  readonly startMs: number[] = [];
  readonly unexpectedExits: UnexpectedExit[] = [];
  private proc?: Process;
  private stopping = false;

  constructor(
    private readonly env: Record<string, string>,
    readonly port: number,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  static async create(env: Record<string, string>): Promise<RestartableServer> {
    return new RestartableServer(env, await freePort());
  }

  get running(): boolean {
    return !!this.proc && this.proc.proc.exitCode === null && this.proc.proc.signalCode === null;
  }

  /** Spawns the server and waits until /health answers (so it listens: migrations have run). */
  async start(timeoutMs = 180_000): Promise<void> {
    const started = Date.now();
    const proc = spawnServer({ LOG_LEVEL: 'warn', ...this.env, PORT: String(this.port) });
    // A test that ends abruptly (a timeout) must not leave its server running.
    const orphaned = () => proc.proc.kill('SIGKILL');
    process.once('exit', orphaned);
    void proc.exited.then(() => process.off('exit', orphaned));
    this.proc = proc;
    this.stopping = false;
    this.starts++;
    let exited: Exit | undefined;
    void proc.exited.then((exit) => {
      exited = exit;
      if (!this.stopping && this.proc === proc) {
        this.unexpectedExits.push({ ...exit, at: Date.now(), stderr: crashOf(proc.stderr() || proc.stdout()) });
      }
    });
    while (Date.now() - started < timeoutMs) {
      if (exited) {
        throw new Error(`the server exited (${JSON.stringify(exited)}) before it listened:\n${tail(proc.stderr())}`);
      }
      const ok = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(2_000) }).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) {
        this.startMs.push(Date.now() - started);
        return;
      }
      await sleep(50);
    }
    proc.proc.kill('SIGKILL');
    throw new Error(`the server did not answer /health within ${timeoutMs} ms:\n${tail(proc.stderr())}`);
  }

  /** SIGKILL now, synchronously (for a kill timed to an answer), then the exit. */
  kill(): Promise<Exit> {
    const proc = this.proc;
    if (!proc) throw new Error('no server process');
    this.stopping = true;
    proc.proc.kill('SIGKILL');
    this.kills++;
    return proc.exited;
  }

  /** SIGTERM and wait: the graceful stop at the end of a test. */
  async stop(): Promise<Exit | undefined> {
    const proc = this.proc;
    if (!proc || !this.running) return undefined;
    this.stopping = true;
    proc.proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.proc.kill('SIGKILL'), 30_000);
    try {
      return await proc.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  stderr(): string {
    return this.proc?.stderr() ?? '';
  }

  /** The current process's log lines that mention `requestId` (a 500's cause, for its report). */
  logLinesOf(requestId: string): string[] {
    const text = `${this.proc?.stdout() ?? ''}\n${this.proc?.stderr() ?? ''}`;
    return text.split('\n').filter((line) => line.includes(requestId));
  }
}

/** The end of what a crashed process wrote, without its stack frames: the error and where it was emitted. */
function crashOf(text: string): string {
  return tail(text, 6_000)
    .split('\n')
    .filter((line) => !/^\s+at |^\s+\[\.\.\. lines matching|^\s+\w+: undefined,$/.test(line) && line.trim() !== '')
    .join('\n')
    .slice(-1_500);
}

function tail(text: string, chars = 2_000): string {
  return text.length > chars ? `…${text.slice(-chars)}` : text;
}
