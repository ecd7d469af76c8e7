import { hash } from 'node:crypto';
import canonicalize from 'canonicalize';

/** RFC 8785 canonical JSON: the same value always gives the same bytes. */
export function canonicalJson(value: unknown): string {
  const out = canonicalize(value);
  if (out === undefined) throw new TypeError('value cannot be canonicalised');
  return out;
}

export function sha256Hex(data: string | Buffer): string {
  // One-shot: no Hash object per call (a request hashes its key and its body).
  return hash('sha256', data, 'hex');
}

/** Hash of a request, used to tell an idempotent replay from a conflicting reuse. */
export function hashOf(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
