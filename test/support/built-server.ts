import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BUILD_ENV } from './global-setup';

/** The compiled API entry point (built once per run by global-setup.ts). */
export function builtMain(): string {
  const out = process.env[BUILD_ENV];
  const main = out && join(out, 'apps/api/src/main.js');
  if (!main || !existsSync(main)) throw new Error(`no compiled app: run the e2e project (${BUILD_ENV}=${out})`);
  return main;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServerOptions {
  cwd?: string;
  nodeArgs?: string[];
}

/** A real `node main.js` process, as production runs it. */
export interface BuiltServer {
  proc: ChildProcess;
  /** http://127.0.0.1:<port> once it listens. */
  url: string;
  port: number;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited. */
  exited: Promise<Exit>;
}

/**
 * Spawns the compiled server. The child gets only the variables given here (plus PATH and
 * HOME): no DATABASE_URL unless passed, so it runs embedded by default. It runs in `cwd`,
 * by default the build directory, where no `.env` is (a developer's own must not reach a test).
 * `nodeArgs` go to node before the script (e.g. `--require` of a preload).
 */
export function spawnServer(
  env: Record<string, string>,
  { cwd = process.env[BUILD_ENV], nodeArgs = [] }: ServerOptions = {},
): Omit<BuiltServer, 'url' | 'port'> {
  const proc = spawn(process.execPath, [...nodeArgs, builtMain()], {
    cwd,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      HOST: '127.0.0.1',
      PORT: '0',
      GRPC_PORT: '0',
      // A server database requires a configured receipt signing key ('' unsets it).
      RECEIPT_SIGNING_KEY_HEX: randomBytes(32).toString('hex'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<Exit>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  return { proc, stdout: () => out, stderr: () => err, exited };
}

/** Spawns the compiled server and waits until it logs the port it listens on. */
export async function startBuiltServer(
  env: Record<string, string>,
  timeoutMs = 120_000,
  options: ServerOptions = {},
): Promise<BuiltServer> {
  const server = spawnServer({ LOG_LEVEL: 'info', ...env }, options);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`server did not listen within ${timeoutMs} ms`)), timeoutMs);
    const onData = () => {
      const match = /"msg":"listening on [^"]*:(\d+)"/.exec(server.stdout());
      if (match) done(() => resolve(Number(match[1])));
    };
    const onExit = (code: number | null) => fail(new Error(`server exited (${code}) before listening`));
    const done = (then: () => void) => {
      clearTimeout(timer);
      server.proc.stdout!.off('data', onData);
      server.proc.off('exit', onExit);
      then();
    };
    const fail = (error: Error) =>
      done(() => {
        server.proc.kill('SIGKILL');
        reject(new Error(`${error.message}\nstdout:\n${server.stdout()}\nstderr:\n${server.stderr()}`));
      });
    server.proc.stdout!.on('data', onData);
    server.proc.once('exit', onExit);
  });
  return { ...server, port, url: `http://127.0.0.1:${port}` };
}

/** Waits for the process to exit, or kills it and fails after `timeoutMs`. */
export async function waitForExit(server: Pick<BuiltServer, 'proc' | 'exited'>, timeoutMs: number): Promise<Exit> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      server.proc.kill('SIGKILL');
      reject(new Error(`process did not exit within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([server.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
