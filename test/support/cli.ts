import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BUILD_ENV } from './global-setup';

const run = promisify(execFile);

/** The compiled CLI (built once per run by global-setup.ts), as `npm run cli` runs it. */
function builtCli(): string {
  const out = process.env[BUILD_ENV];
  const main = out && join(out, 'apps/cli/src/main.js');
  if (!main || !existsSync(main)) throw new Error(`no compiled CLI: run the e2e project (${BUILD_ENV}=${out})`);
  return main;
}

/**
 * Runs the CLI with only `env` (plus PATH and HOME) as its environment, in the build directory
 * (no `.env` there); a non-zero exit is returned, not thrown.
 */
export function runCli(
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  return runNode([], env, args);
}

/** As runCli, and the CLI process's peak resident memory (MB). */
export async function runCliMeasured(
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string; peakRssMb: number }> {
  const res = await runNode(['--require', join(__dirname, 'peak-rss.cjs')], env, args);
  const peak = /\npeak-rss-kb (\d+)\n$/.exec(res.stderr);
  if (!peak) throw new Error(`no peak memory reported: ${res.stderr}`);
  return { ...res, stderr: res.stderr.slice(0, peak.index), peakRssMb: Number(peak[1]) / 1024 };
}

async function runNode(
  nodeArgs: string[],
  env: Record<string, string>,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [...nodeArgs, builtCli(), ...args], {
      cwd: process.env[BUILD_ENV],
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The CLI as a child process the test can signal (a kill mid-run); environment and directory as runCli. */
export function spawnCli(
  env: Record<string, string>,
  ...args: string[]
): { proc: ChildProcess; stdout(): string; stderr(): string; exited: Promise<number | null> } {
  const proc = spawn(process.execPath, [builtCli(), ...args], {
    cwd: process.env[BUILD_ENV],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, stdout: () => out, stderr: () => err, exited };
}
