import {
  closeSync,
  existsSync,
  ftruncateSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import type { Rejection } from './jsonl-batches';

/** What the import has counted: items posted, replayed, rejected (by code). */
export interface Counts {
  posted: number;
  replayed: number;
  rejected: Record<string, number>;
}

/**
 * The progress file (<input>.progress), rewritten (atomically) after every batch whose
 * outcome was recorded: the last line done, how long the rejections file was then, the
 * counts so far, and the input's size and time, so that a resume over a changed file is
 * refused.
 */
export interface ImportState {
  version: 1;
  input: { size: number; mtime_ms: number };
  line: number;
  rejections_bytes: number;
  counts: Counts;
  complete: boolean;
}

export function emptyCounts(): Counts {
  return { posted: 0, replayed: 0, rejected: {} };
}

export function rejectedTotal(counts: Counts): number {
  return Object.values(counts.rejected).reduce((a, b) => a + b, 0);
}

export function inputStamp(path: string): ImportState['input'] {
  const stat = statSync(path);
  return { size: stat.size, mtime_ms: Math.trunc(stat.mtimeMs) };
}

/** The recorded state, or undefined when there is none; a file that is not one is an error. */
export function readState(path: string): ImportState | undefined {
  if (!existsSync(path)) return undefined;
  let state: ImportState;
  try {
    state = JSON.parse(readFileSync(path, 'utf8')) as ImportState;
  } catch {
    throw new Error(`the progress file ${path} is not JSON`);
  }
  if (state?.version !== 1 || !Number.isInteger(state.line) || !Number.isInteger(state.rejections_bytes)) {
    throw new Error(`the progress file ${path} is not an import's progress`);
  }
  return state;
}

/** Written beside, then renamed over: a crash leaves the old state or the new one, never half of one. */
export function writeState(path: string, state: ImportState): void {
  const temp = `${path}.tmp`;
  writeFileSync(temp, `${JSON.stringify(state)}\n`);
  renameSync(temp, path);
}

/** The rejections file, appended to as batches come back; its length goes into the progress. */
export class RejectionsFile {
  private readonly fd: number;
  bytes: number;

  /** From the start, or (resume) cut back to the length the progress recorded: a batch recorded after it is sent again. */
  constructor(
    readonly path: string,
    keepBytes = 0,
  ) {
    this.fd = openSync(path, keepBytes > 0 ? 'r+' : 'w');
    ftruncateSync(this.fd, keepBytes);
    this.bytes = keepBytes;
  }

  write(rejections: Rejection[]): void {
    if (rejections.length === 0) return;
    const text = rejections.map((r) => JSON.stringify(r)).join('\n') + '\n';
    const buffer = Buffer.from(text);
    writeSync(this.fd, buffer, 0, buffer.length, this.bytes);
    this.bytes += buffer.length;
  }

  close(): void {
    closeSync(this.fd);
  }
}
