import { ErrorCode } from '@tally/shared';

/** The most items POST /v1/credits/transfers/batch takes in one request. */
export const MAX_BATCH_ITEMS = 8190;
/**
 * Bytes of item text per request, under the API's 10 MB body limit with room for the
 * envelope; a batch that still gets 413 is split (see BatchSender).
 */
export const MAX_BATCH_BYTES = 9 * 1024 * 1024;

/** One item line of the file, kept as written: the server parses exactly what the file holds. */
export interface ItemLine {
  /** 1-based line number in the file. */
  line: number;
  /** The item's id as the line gives it (for the rejections file), or null. */
  id: string | null;
  text: string;
  /** It continues into the next item (a linked chain). */
  linked: boolean;
}

/** One rejected item, as a line of the rejections file. */
export interface Rejection {
  line: number;
  id: string | null;
  code: string;
  reason: string;
  detail: string;
}

/**
 * What goes in one request: whole chains only (a chain never spans two batches), the
 * lines refused before sending (malformed ones), and the last line the batch accounts for.
 * Once its outcome is recorded, every line up to `lastLine` is done.
 */
export interface Batch {
  items: ItemLine[];
  local: Rejection[];
  lastLine: number;
}

export interface BatchingOptions {
  /** Items per batch; a single chain longer than this goes alone, up to MAX_BATCH_ITEMS. */
  batchSize: number;
  maxBytes?: number;
  /** Lines up to this one were done by an earlier run (--resume): they are read and skipped. */
  skipThrough?: number;
}

/** An item line, or the rejection that says why the line is not one. */
function parseLine(line: number, text: string): ItemLine | Rejection {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return malformed(line, 'the line is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return malformed(line, 'the line must be a JSON object (one batch item)');
  }
  const item = value as { id?: unknown; linked?: unknown };
  return { line, id: typeof item.id === 'string' ? item.id : null, text, linked: item.linked === true };
}

function malformed(line: number, detail: string): Rejection {
  return { line, id: null, code: ErrorCode.InvalidRequest, reason: 'malformed', detail };
}

/** A chain item that fails because another item of its chain did, as the server says it. */
export function linkedFailed(item: ItemLine, detail: string): Rejection {
  return { line: item.line, id: item.id, code: ErrorCode.IllegalTransition, reason: 'linked_event_failed', detail };
}

/**
 * Batches of a JSON Lines file, read line by line: at most one batch and one chain in
 * memory. A batch closes before a chain that would take it over the size (items or
 * bytes), so chains stay whole. Blank lines are skipped; a line that is not a JSON object
 * is a DSE-001 rejection, and so fails the chain it interrupts (its other items are
 * rejected as linked_event_failed, unsent, as the server would have); the chain ends there,
 * as the line's own `linked` cannot be read. A chain too long for any one request is
 * rejected whole. A chain still open at the end of the file is sent as it is: the server
 * answers it with linked_event_chain_open.
 */
export async function* batchesOf(lines: AsyncIterable<string>, options: BatchingOptions): AsyncGenerator<Batch> {
  const maxBytes = options.maxBytes ?? MAX_BATCH_BYTES;
  const skip = options.skipThrough ?? 0;
  let batch: Batch = { items: [], local: [], lastLine: skip };
  let batchBytes = 0;
  let chain: ItemLine[] = [];
  let chainBytes = 0;
  /** Set while the rest of a chain too long to send is being rejected. */
  let tooLong: string | undefined;
  let lineNo = 0;

  const flush = function* (): Generator<Batch> {
    // The lines of a chain still being read belong to the next batch.
    batch.lastLine = chain.length > 0 ? chain[0].line - 1 : lineNo;
    if (batch.items.length > 0 || batch.local.length > 0) yield batch;
    batch = { items: [], local: [], lastLine: batch.lastLine };
    batchBytes = 0;
  };
  /** The chain (or lone item) just completed goes into the batch, closing the batch first when it does not fit. */
  const place = function* (): Generator<Batch> {
    if (
      batch.items.length > 0 &&
      (batch.items.length + chain.length > options.batchSize || batchBytes + chainBytes > maxBytes)
    ) {
      yield* flush();
    }
    batch.items.push(...chain);
    batchBytes += chainBytes;
    chain = [];
    chainBytes = 0;
    if (batch.items.length >= options.batchSize) yield* flush();
  };

  for await (const text of lines) {
    lineNo++;
    if (lineNo <= skip) continue;
    if (text.trim() === '') continue;
    const parsed = parseLine(lineNo, text);
    if (!('text' in parsed)) {
      // A malformed line fails the chain it interrupts.
      const detail = `item at line ${lineNo} of its chain failed`;
      batch.local.push(...chain.map((item) => linkedFailed(item, detail)), parsed);
      chain = [];
      chainBytes = 0;
      tooLong = undefined;
      continue;
    }
    if (tooLong !== undefined) {
      batch.local.push(linkedFailed(parsed, tooLong));
      if (!parsed.linked) tooLong = undefined;
      continue;
    }
    chain.push(parsed);
    chainBytes += Buffer.byteLength(text) + 1;
    if (chain.length > MAX_BATCH_ITEMS || chainBytes > maxBytes) {
      tooLong = `a linked chain starting at line ${chain[0].line} is longer than one request takes (${MAX_BATCH_ITEMS} items, ${maxBytes} bytes)`;
      const [first, ...rest] = chain;
      batch.local.push(
        { line: first.line, id: first.id, code: ErrorCode.InvalidRequest, reason: 'chain_too_long', detail: tooLong },
        ...rest.map((item) => linkedFailed(item, tooLong!)),
      );
      chain = [];
      chainBytes = 0;
      if (!parsed.linked) tooLong = undefined;
      continue;
    }
    if (!parsed.linked) yield* place();
  }
  // A chain open at the end of the file: sent, for the server to refuse it as open.
  if (chain.length > 0) yield* place();
  lineNo = Math.max(lineNo, skip);
  yield* flush();
}

/**
 * The units a batch can be split into without breaking a chain: each chain (or lone item),
 * in order. A batch refused as a whole is split along these.
 */
export function chainsOf(items: ItemLine[]): ItemLine[][] {
  const units: ItemLine[][] = [];
  let current: ItemLine[] = [];
  for (const item of items) {
    current.push(item);
    if (!item.linked) {
      units.push(current);
      current = [];
    }
  }
  if (current.length > 0) units.push(current);
  return units;
}
