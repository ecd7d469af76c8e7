import { spawn } from 'node:child_process';
import type { JobToRun } from './api-client';

export interface CommandOutcome {
  /** The exit code, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  /** The end of stderr, for a failure's message. */
  stderrTail: string;
  elapsedMs: number;
}

export interface RunningCommand {
  pid: number | undefined;
  done: Promise<CommandOutcome>;
  /** Kills the command's whole process group (whatever it started too). */
  kill(): void;
}

const STDERR_TAIL = 2048;

/** The payload as the command reads it on stdin: JSON text, or the bytes base64 carried. */
export function stdinOf(job: JobToRun): Buffer {
  if (job.payload_encoding === 'base64') return Buffer.from(String(job.payload), 'base64');
  return Buffer.from(JSON.stringify(job.payload));
}

/** The job's metadata as environment variables. */
export function jobEnv(job: JobToRun, proverId: string): Record<string, string> {
  return {
    TALLY_JOB_ID: job.network_job_id,
    TALLY_PROVER_ID: proverId,
    TALLY_JOB_PRIORITY: job.priority,
    TALLY_JOB_MAX_COST_MICROS: job.max_cost_micros,
    TALLY_JOB_REPLICAS: String(job.replicas),
    TALLY_JOB_PAYLOAD_ENCODING: job.payload_encoding,
    TALLY_JOB_SERVICE: job.service ?? '',
    TALLY_JOB_UNITS: job.units ?? '',
    TALLY_JOB_REQUIREMENTS: JSON.stringify(job.requirements ?? {}),
  };
}

/**
 * Runs `command` with `sh -c` in a process group of its own (so a cancel kills all it
 * started), the payload on stdin and the job's metadata in its environment.
 */
export function runCommand(command: string, job: JobToRun, proverId: string): RunningCommand {
  const started = performance.now();
  const child = spawn('sh', ['-c', command], {
    detached: true,
    env: { ...process.env, ...jobEnv(job, proverId) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stdout: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-STDERR_TAIL)));
  // A command that does not read its stdin closes it early: that is no failure.
  child.stdin.on('error', () => undefined);
  child.stdin.end(stdinOf(job));
  const done = new Promise<CommandOutcome>((resolve) => {
    const finish = (code: number | null, signal: NodeJS.Signals | null) =>
      resolve({
        code,
        signal,
        stdout: Buffer.concat(stdout),
        stderrTail: stderr,
        elapsedMs: performance.now() - started,
      });
    child.once('error', (error) => {
      stderr += String(error);
      finish(127, null);
    });
    // 'close': the exit, and stdout read to its end.
    child.once('close', finish);
  });
  return {
    pid: child.pid,
    done,
    kill: () => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // The group is gone already.
      }
    },
  };
}
