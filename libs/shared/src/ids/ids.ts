import { randomBytes, randomUUID } from 'node:crypto';

export function newId(): string {
  return randomUUID();
}

/** A UUID as newId and Postgres write it (lowercase hex); `new RegExp(UUID_PATTERN.source, 'i')` takes either case. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A random secret of `bytes` bytes, base64url encoded, with a readable prefix. */
export function newSecret(prefix: string, bytes = 32): string {
  return `${prefix}_${randomBytes(bytes).toString('base64url')}`;
}

/**
 * The shape of every external identifier (a client's owner id, a prover id, a job's
 * client_job_id): 1–128 characters of A-Z a-z 0-9 . _ : @ -, but not "." or "..": ids go
 * into URL paths (/v1/provers/{id}, /v1/credits/accounts/user/{id}), where clients resolve
 * those two as dot segments ("..." is an ordinary segment, as for registry service ids).
 */
export const IDENTIFIER_PATTERN = /^(?!\.\.?$)[A-Za-z0-9._:@-]{1,128}$/;
export const IDENTIFIER_MESSAGE = '$property must be 1-128 characters of A-Z a-z 0-9 . _ : @ -, and not "." or ".."';
