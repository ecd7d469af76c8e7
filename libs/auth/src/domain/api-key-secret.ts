import { newSecret, sha256Hex } from '@tally/shared';

export const API_KEY_PREFIX = 'tly';
/** Characters of a generated key kept for display (`tly_` and 8 more). */
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

/** A generated key: `tly_` and 43 base64url characters. */
const GENERATED = new RegExp(`^${API_KEY_PREFIX}_[A-Za-z0-9_-]{43}$`);

/**
 * What a listing shows of a key. A generated key's first 12 characters are 8 of its 43
 * random ones; a key an operator chose (TALLY_ADMIN_KEY, 24 characters or more) could
 * have half of itself shown that way, so it is shown by a fingerprint of its hash instead.
 */
export function displayPrefix(key: string): string {
  return GENERATED.test(key) ? key.slice(0, DISPLAY_PREFIX_LENGTH) : `sha256:${hashApiKey(key).slice(0, 8)}`;
}
