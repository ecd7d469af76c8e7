import type { FastifyRequest } from 'fastify';
import { InvalidRequestError } from '@tally/shared';

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)/i;
/**
 * Deepest nesting a body may have. Validation walks a body recursively, so a body nested
 * thousands deep (a few KB of brackets) would overflow the stack; no request needs this.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * The JSON body parser, stricter than Express's: the top level must be an object (every
 * route takes an object or no fields; an array was let through where no field is
 * validated, e.g. drain and cancel), the charset (if named) UTF-8, an empty body is `{}`, nesting at most
 * MAX_JSON_DEPTH deep, every number one JSON.parse reads as written (not 1e400, which it
 * makes Infinity, nor 1e-400, which it makes 0), and `__proto__`, `constructor` and
 * `prototype` keys are refused (the validation pipe would delete them without a word,
 * against prototype pollution: opaque JSON would lose them, and a refused key such as
 * requirements {"constructor":1} would pass as {}). Errors quote at most a key or a number
 * of the body, cut short, never the body.
 */
export function parseJsonBody(req: FastifyRequest, body: Buffer): unknown {
  refuseContentEncoding(req);
  const charset = CHARSET.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
  if (charset && charset !== 'utf-8' && charset !== 'utf8') {
    throw new InvalidRequestError(`unsupported charset ${JSON.stringify(charset.slice(0, 40))}: send UTF-8`);
  }
  const text = body.toString('utf8');
  const first = /\S/.exec(text)?.[0];
  if (first === undefined) return {};
  if (first !== '{') {
    let json = true;
    try {
      JSON.parse(text);
    } catch {
      json = false;
    }
    throw json ? new InvalidRequestError('request body must be a JSON object') : notJson();
  }
  let parsed: unknown;
  try {
    // The reviver only when a suspicious key could be there: it slows every parse down.
    parsed = /__proto__|constructor|prototype/.test(text) ? JSON.parse(text, refusePrototypeKeys) : JSON.parse(text);
  } catch (error) {
    if (error instanceof InvalidRequestError) throw error;
    throw notJson();
  }
  const shape = shapeOf(text, MAX_JSON_DEPTH);
  if (shape.unreadableNumber !== undefined) {
    // JSON.parse made it Infinity (or 0): the client's number is lost, and canonical JSON, a
    // jsonb column or an integer column would each fail on it in its own way further on.
    const { field, text: number } = shape.unreadableNumber;
    throw new InvalidRequestError(
      `${cut(field, 128)} is the number ${cut(number, 40)}, which reads as ${Number(number)}: ` +
        'a number must be within the range of a double, and not so small that it reads as 0',
      { field },
    );
  }
  if (shape.duplicateKey !== undefined) {
    // JSON.parse keeps the last; a proxy or log that read the first would see another request.
    throw new InvalidRequestError(
      `request body names the key ${JSON.stringify(shape.duplicateKey.slice(0, 64))} twice in one object`,
    );
  }
  if (shape.tooDeep !== undefined) {
    const { field } = shape.tooDeep;
    throw new InvalidRequestError(
      `request body is nested deeper than ${MAX_JSON_DEPTH} levels, at ${cut(field, 128)}`,
      {
        field,
      },
    );
  }
  // Only escapes can put these in (raw control characters are not JSON): look closer then.
  if (/\\u(0000|d[89a-f])/i.test(text) && !storable(parsed)) {
    throw new InvalidRequestError(
      'request body has a string with a NUL character or a lone surrogate (\\u0000, \\ud800…), which cannot be stored',
    );
  }
  return parsed;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Every string (and key) can be stored as text exactly: no U+0000, no unpaired surrogate. */
function storable(value: unknown): boolean {
  if (typeof value === 'string') return !value.includes('\u0000') && !LONE_SURROGATE.test(value);
  if (Array.isArray(value)) return value.every(storable);
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).every(([k, v]) => storable(k) && storable(v));
  }
  return true;
}

export interface JsonShape {
  /** The deepest bracket nesting. */
  deepest: number;
  /** The first key named twice in one object (keys compared as decoded). */
  duplicateKey?: string;
  /** The first number JSON.parse cannot hold (it reads as ±Infinity, or as 0 though it is not 0), and where. */
  unreadableNumber?: { field: string; text: string };
  /** The first object or array nested deeper than the limit asked for, and where. */
  tooDeep?: { field: string };
}

/**
 * One pass over valid JSON text: its deepest bracket nesting, the first key it names twice
 * in one object, the first number that does not survive JSON.parse, and the first object
 * or array nested deeper than `maxDepth`, each with its field (`metadata.a.0`). Brackets,
 * quotes and digits inside strings are text. The pass stops at the first thing it
 * reports, so `deepest` then counts only what came before.
 */
export function shapeOf(text: string, maxDepth = Infinity): JsonShape {
  // One entry per open container: its keys (an object) or null (an array), and the key or index the pass is at.
  const open: { keys: Set<string> | null; at: string | number }[] = [];
  let deepest = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const start = i;
      let escaped = false;
      for (i++; text.charCodeAt(i) !== 0x22; i++) {
        if (text.charCodeAt(i) === 0x5c) {
          escaped = true;
          i++;
        }
      }
      if (!expectKey) continue;
      expectKey = false;
      const key = escaped ? (JSON.parse(text.slice(start, i + 1)) as string) : text.slice(start + 1, i);
      const top = open[open.length - 1]!;
      if (top.keys!.has(key)) return { deepest, duplicateKey: key };
      top.keys!.add(key);
      top.at = key;
    } else if (c === 0x7b || c === 0x5b) {
      if (open.length === maxDepth) return { deepest, tooDeep: { field: fieldOf(open) } };
      open.push({ keys: c === 0x7b ? new Set() : null, at: 0 });
      deepest = Math.max(deepest, open.length);
      expectKey = c === 0x7b;
    } else if (c === 0x7d || c === 0x5d) {
      open.pop();
    } else if (c === 0x2c) {
      const top = open[open.length - 1]!;
      expectKey = top.keys !== null;
      if (!top.keys) (top.at as number)++;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      const start = i;
      while (i + 1 < text.length && isNumberChar(text.charCodeAt(i + 1))) i++;
      const number = text.slice(start, i + 1);
      // Only an exponent or some 309 digits take a double out of range.
      if ((number.length > 300 || /[eE]/.test(number)) && !readable(number)) {
        return { deepest, unreadableNumber: { field: fieldOf(open), text: number } };
      }
    }
  }
  return { deepest };
}

/** Where the pass is, as the validation pipe names fields: keys and indexes joined by dots. */
const fieldOf = (open: { at: string | number }[]) => open.map((o) => o.at).join('.');

/** 0-9 e E . + - */
const isNumberChar = (c: number) =>
  (c >= 0x30 && c <= 0x39) || c === 0x65 || c === 0x45 || c === 0x2e || c === 0x2b || c === 0x2d;

/** JSON.parse reads the number as it is written: finite, and not 0 unless it is 0. */
function readable(number: string): boolean {
  const value = Number(number);
  return Number.isFinite(value) && (value !== 0 || !/[1-9]/.test(number.split(/[eE]/)[0]));
}

/** Bodies are read as sent: a compressed (or otherwise encoded) one is refused, not misread. */
export function refuseContentEncoding(req: FastifyRequest): void {
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
    throw new InvalidRequestError(
      `unsupported Content-Encoding ${JSON.stringify(encoding.slice(0, 40))}: send the body uncompressed`,
    );
  }
}

const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}…` : text);

const notJson = () => new InvalidRequestError('request body is not valid JSON');

function refusePrototypeKeys(this: unknown, key: string, value: unknown): unknown {
  if (key === '__proto__' || key === 'constructor' || key === 'prototype') {
    throw new InvalidRequestError(
      `request body has a forbidden key (${key}): __proto__, constructor and prototype are refused`,
    );
  }
  return value;
}
