import type { IncomingHttpHeaders } from 'node:http';
import { UnauthenticatedError } from '@tally/shared';
import { credentialKind } from '../domain/credential-kind';

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

/**
 * The credential a request presents: an API key from `Authorization: Bearer <key>` or
 * `X-API-Key: <key>`, or a JWT from `Authorization: Bearer <jwt>`; null when it presents
 * none. A malformed header or two different credentials is a 401 rather than a silent
 * fallback to "no credential". How long a credential may be is CredentialAuthenticator's rule.
 */
export function presentedCredential(headers: IncomingHttpHeaders, rawHeaders: readonly string[] = []): string | null {
  // Node keeps the first of several Authorization headers and drops the rest without a word.
  let authorizations = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i].toLowerCase() === 'authorization') authorizations++;
  if (authorizations > 1) throw new UnauthenticatedError('send one Authorization header');
  const authorization = headers.authorization;
  const apiKeyHeader = headers['x-api-key'];
  let bearer: string | undefined;
  if (authorization !== undefined && authorization !== '') {
    const match = BEARER.exec(authorization);
    if (!match) throw new UnauthenticatedError('the Authorization header must be "Bearer <API key or JWT>"');
    bearer = match[1];
  }
  const raw = Array.isArray(apiKeyHeader) ? apiKeyHeader.join(',') : apiKeyHeader;
  const header = raw?.trim() || undefined;
  if (header !== undefined && /\s|,/.test(header)) throw new UnauthenticatedError('X-API-Key must hold one API key');
  if (header !== undefined && credentialKind(header) === 'jwt') {
    throw new UnauthenticatedError('X-API-Key holds an API key; send a JWT as Authorization: Bearer <jwt>');
  }
  if (bearer !== undefined && header !== undefined && bearer !== header) {
    throw new UnauthenticatedError('Authorization and X-API-Key present different credentials');
  }
  return bearer ?? header ?? null;
}
