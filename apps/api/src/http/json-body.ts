import type { FastifyRequest } from 'fastify';
import { InvalidRequestError } from '@tally/shared';

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)/i;

/**
 * The JSON body parser, as strict as Express's was: the top level must be an object or an
 * array, the charset (if named) UTF-8, an empty body is `{}`, and `__proto__` or
 * `constructor.prototype` keys are refused. Errors never quote the body back.
 */
export function parseJsonBody(req: FastifyRequest, body: Buffer): unknown {
  const charset = CHARSET.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
  if (charset && charset !== 'utf-8' && charset !== 'utf8') {
    throw new InvalidRequestError(`unsupported charset ${JSON.stringify(charset.slice(0, 40))}: send UTF-8`);
  }
  const text = body.toString('utf8');
  const first = /\S/.exec(text)?.[0];
  if (first === undefined) return {};
  if (first !== '{' && first !== '[') throw notJson();
  let parsed: unknown;
  try {
    // The reviver only when a suspicious key could be there: it slows every parse down.
    parsed = /__proto__|constructor/.test(text) ? JSON.parse(text, refusePrototypeKeys) : JSON.parse(text);
  } catch (error) {
    if (error instanceof InvalidRequestError) throw error;
    throw notJson();
  }
  return parsed;
}

const notJson = () => new InvalidRequestError('request body is not valid JSON');

function refusePrototypeKeys(this: unknown, key: string, value: unknown): unknown {
  if (
    key === '__proto__' ||
    (key === 'constructor' && typeof value === 'object' && value !== null && 'prototype' in value)
  ) {
    throw new InvalidRequestError('request body has a forbidden key (__proto__ or constructor.prototype)');
  }
  return value;
}
