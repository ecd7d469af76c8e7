import type { IncomingHttpHeaders } from 'node:http';
import { UnauthenticatedError } from '@tally/shared';
import { MAX_PRESENTED_KEY_LENGTH } from '../domain/api-key-secret';

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

/**
 * The API key a request presents, from `Authorization: Bearer <key>` or `X-API-Key: <key>`;
 * null when it presents none. A malformed header, two different keys or an oversized key
 * is a 401 rather than a silent fallback to "no key".
 */
export function presentedApiKey(headers: IncomingHttpHeaders, rawHeaders: readonly string[] = []): string | null {
  // Node keeps the first of several Authorization headers and drops the rest without a word.
  let authorizations = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i].toLowerCase() === 'authorization') authorizations++;
  if (authorizations > 1) throw new UnauthenticatedError('send one Authorization header');
  const authorization = headers.authorization;
  const apiKeyHeader = headers['x-api-key'];
  let bearer: string | undefined;
  if (authorization !== undefined && authorization !== '') {
    const match = BEARER.exec(authorization);
    if (!match) throw new UnauthenticatedError('the Authorization header must be "Bearer <API key>"');
    bearer = match[1];
  }
  const raw = Array.isArray(apiKeyHeader) ? apiKeyHeader.join(',') : apiKeyHeader;
  const header = raw?.trim() || undefined;
  if (header !== undefined && /\s|,/.test(header)) throw new UnauthenticatedError('X-API-Key must hold one API key');
  if (bearer !== undefined && header !== undefined && bearer !== header) {
    throw new UnauthenticatedError('Authorization and X-API-Key present different keys');
  }
  const key = bearer ?? header ?? null;
  if (key !== null && key.length > MAX_PRESENTED_KEY_LENGTH)
    throw new UnauthenticatedError('unknown or revoked API key');
  return key;
}
