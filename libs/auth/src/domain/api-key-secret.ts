import { newSecret, sha256Hex } from '@tally/shared';

export const API_KEY_PREFIX = 'tly';
/** Characters of a key kept for display (`tly_` and 8 more for generated keys). */
export const DISPLAY_PREFIX_LENGTH = 12;
/** Longest key accepted from a caller; anything longer is rejected before hashing. */
export const MAX_PRESENTED_KEY_LENGTH = 256;

/** A new random API key: `tly_` and 32 random bytes, base64url (256 bits of entropy). */
export function generateApiKey(): string {
  return newSecret(API_KEY_PREFIX, 32);
}

/** What is stored for a key: its hex SHA-256. A fast hash is enough for 256-bit random secrets. */
export function hashApiKey(key: string): string {
  return sha256Hex(key);
}

export function displayPrefix(key: string): string {
  return key.slice(0, DISPLAY_PREFIX_LENGTH);
}
