/** Longest memo a posting may carry (characters; the column is varchar(512)). */
export const MEMO_MAX_LENGTH = 512;
/** An Idempotency-Key: 1-255 printable ASCII characters (the column is varchar(255)). */
export const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,255}$/;
/** Largest metadata object of an account or posting, as serialised JSON. */
export const METADATA_MAX_BYTES = 16 * 1024;

/** A JSON object (not an array, not null) whose serialised size stays within `maxBytes`. */
export function isBoundedObject(value: unknown, maxBytes: number): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Buffer.byteLength(JSON.stringify(value)) <= maxBytes
  );
}
