import type { FastifyRequest } from 'fastify';
import { InvalidRequestError, shapeOf, unreadableNumberMessage } from '@tally/shared';

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
    const { field } = shape.unreadableNumber;
    throw new InvalidRequestError(unreadableNumberMessage(shape.unreadableNumber), { field });
  }
  if (shape.duplicateKey !== undefined) {
    // JSON.parse keeps the last; a proxy or log that read the first would see another request.
    throw new InvalidRequestError(
      `request body names the key ${JSON.stringify(shape.duplicateKey.slice(0, 64))} twice in one object`,
    );
  }
  if (shape.tooDeep !== undefined) {
    const { field } = shape.tooDeep;
    const at = field.length > 128 ? `${field.slice(0, 128)}…` : field;
    throw new InvalidRequestError(`request body is nested deeper than ${MAX_JSON_DEPTH} levels, at ${at}`, { field });
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

/** Bodies are read as sent: a compressed (or otherwise encoded) one is refused, not misread. */
export function refuseContentEncoding(req: FastifyRequest): void {
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
    throw new InvalidRequestError(
      `unsupported Content-Encoding ${JSON.stringify(encoding.slice(0, 40))}: send the body uncompressed`,
    );
  }
}

const notJson = () => new InvalidRequestError('request body is not valid JSON');

function refusePrototypeKeys(this: unknown, key: string, value: unknown): unknown {
  if (key === '__proto__' || key === 'constructor' || key === 'prototype') {
    throw new InvalidRequestError(
      `request body has a forbidden key (${key}): __proto__, constructor and prototype are refused`,
    );
  }
  return value;
}
