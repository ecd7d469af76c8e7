import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { BatchSender, ImportStopped } from './batch-sender';
import { ImportProgress } from './import-progress';
import {
  type Counts,
  emptyCounts,
  type ImportState,
  inputStamp,
  readState,
  RejectionsFile,
  rejectedTotal,
  writeState,
} from './import-state';
import { batchesOf, type Rejection } from './jsonl-batches';

export interface ImportOptions {
  file: string;
  url: string;
  key: string;
  batchSize: number;
  rejections: string;
  progress: string;
  resume: boolean;
}

export interface ImportResult {
  counts: Counts;
  /** Lines of the file, and where this run started (0, or the line a resume went on from). */
  lines: number;
  from: number;
  /** Items this run sent, and in how long. */
  sent: number;
  elapsedMs: number;
  retries: number;
  /** Why the import stopped before the end of the file, if it did. */
  stopped?: string;
  /** The last line done. */
  line: number;
}

/** Refused before anything is sent: the resume does not fit the files beside the input (exit 2). */
export class ResumeMismatch extends Error {}

/** Lines in the file, by its newline bytes: one quick pass before the import, for the total. */
export async function countLines(file: string): Promise<number> {
  let lines = 0;
  let last = 0x0a;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) lines++;
    if (chunk.length > 0) last = chunk[chunk.length - 1];
  }
  return last === 0x0a ? lines : lines + 1;
}

/**
 * Streams the file to the batch route, one batch at a time, recording each batch's outcome
 * (rejections, then the progress file) before the next is read.
 */
export async function runImport(options: ImportOptions): Promise<ImportResult> {
  const stamp = inputStamp(options.file);
  let state: ImportState = {
    version: 1,
    input: stamp,
    line: 0,
    rejections_bytes: 0,
    counts: emptyCounts(),
    complete: false,
  };
  if (options.resume) {
    const recorded = readState(options.progress);
    if (recorded) {
      if (recorded.input.size !== stamp.size || recorded.input.mtime_ms !== stamp.mtime_ms) {
        throw new ResumeMismatch(
          `${options.file} changed since ${options.progress} was written: run without --resume (items already posted are answered as replays)`,
        );
      }
      state = recorded;
    } else {
      console.error(`no progress recorded in ${options.progress}: importing from the first line`);
    }
  }
  const rejections = openRejections(options.rejections, state.rejections_bytes);
  const total = await countLines(options.file);
  const from = state.line;
  const progress = new ImportProgress();
  const sender = new BatchSender({
    url: options.url,
    key: options.key,
    onRetry: (why, ms) => console.error(`retrying a batch in ${(ms / 1000).toFixed(1)} s: ${why}`),
  });
  writeState(options.progress, state);
  progress.start(total, from);
  let sent = 0;
  let stopped: string | undefined;
  const input = createReadStream(options.file, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const batch of batchesOf(lines, { batchSize: options.batchSize, skipThrough: from })) {
      const outcomes = await sender.send(batch.items);
      const rejected: Rejection[] = [...batch.local];
      for (const o of outcomes) {
        if (!o.ok) rejected.push(o.rejection);
        else if (o.replayed) state.counts.replayed++;
        else state.counts.posted++;
      }
      rejected.sort((a, b) => a.line - b.line);
      for (const r of rejected) state.counts.rejected[r.code] = (state.counts.rejected[r.code] ?? 0) + 1;
      rejections.write(rejected);
      state = { ...state, line: batch.lastLine, rejections_bytes: rejections.bytes };
      writeState(options.progress, state);
      sent += batch.items.length;
      progress.advance(batch.lastLine, batch.items.length);
    }
    state = { ...state, line: Math.max(state.line, total), complete: true };
    writeState(options.progress, state);
  } catch (error) {
    if (!(error instanceof ImportStopped)) throw error;
    stopped = error.message;
  } finally {
    lines.close();
    input.destroy();
    rejections.close();
    progress.stop(state.line);
  }
  return {
    counts: state.counts,
    lines: total,
    from,
    sent,
    elapsedMs: progress.elapsedMs(),
    retries: sender.retries,
    stopped,
    line: state.line,
  };
}

function openRejections(path: string, keepBytes: number): RejectionsFile {
  try {
    return new RejectionsFile(path, keepBytes);
  } catch (error) {
    if (keepBytes > 0 && (error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ResumeMismatch(`${path} is gone, but the progress counts rejections in it: run without --resume`);
    }
    throw error;
  }
}

/** The summary on stdout: what was posted, replayed and rejected (by code), and where the rejections are. */
export function summary(result: ImportResult, options: ImportOptions): string[] {
  const { counts } = result;
  const seconds = result.elapsedMs / 1000;
  const rate = seconds > 0 ? Math.round(result.sent / seconds) : result.sent;
  const rejected = rejectedTotal(counts);
  const byCode = Object.entries(counts.rejected)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([code, n]) => `${code}: ${n}`)
    .join(', ');
  const out = [
    `${result.sent} items sent in ${seconds.toFixed(1)} s (${rate} items/s)` +
      (result.from > 0 ? `, resumed after line ${result.from}` : '') +
      (result.retries > 0 ? `, ${result.retries} retries` : ''),
    `posted: ${counts.posted}`,
    `replayed: ${counts.replayed}`,
    `rejected: ${rejected}${rejected > 0 ? ` (${byCode}), listed in ${options.rejections}` : ''}`,
  ];
  if (result.stopped === undefined) out.push(`done: ${result.line} lines of ${options.file}`);
  return out;
}
