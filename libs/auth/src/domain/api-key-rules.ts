import { IDENTIFIER_PATTERN, InvalidRequestError, UUID_PATTERN } from '@tally/shared';
import { ROLES, type Role } from './role';

export const SUBJECT_PATTERN = IDENTIFIER_PATTERN;
export const MAX_LABEL_LENGTH = 256;
const UUID = new RegExp(UUID_PATTERN.source, 'i');

export interface KeyRequest {
  role: string;
  subject: string;
  requireSignature?: boolean;
  label?: string | null;
}

/**
 * The rules for a new key, checked for every caller (the HTTP DTOs check the same shape
 * earlier, with per-field messages; the CLI reaches the command directly).
 */
export function assertValidKeyRequest(request: KeyRequest): asserts request is KeyRequest & { role: Role } {
  if (!(ROLES as readonly string[]).includes(request.role)) {
    throw new InvalidRequestError(`role must be one of ${ROLES.join(', ')}`);
  }
  if (!SUBJECT_PATTERN.test(request.subject)) {
    throw new InvalidRequestError('subject must be 1-128 characters of A-Z a-z 0-9 . _ : @ -');
  }
  if (request.requireSignature && request.role !== 'prover') {
    throw new InvalidRequestError('require_signature applies to prover keys only');
  }
  if (request.label != null && request.label.length > MAX_LABEL_LENGTH) {
    throw new InvalidRequestError(`label must be at most ${MAX_LABEL_LENGTH} characters`);
  }
}

export function isKeyId(id: string): boolean {
  return UUID.test(id);
}
