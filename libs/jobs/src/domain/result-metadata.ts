import { canonicalJson, InvalidRequestError } from '@tally/shared';

/** The most result metadata a prover may attach to a report, as canonical JSON bytes. */
export const RESULT_METADATA_MAX_BYTES = 64 * 1024;

/**
 * Result metadata as a prover sends it: an object of at most RESULT_METADATA_MAX_BYTES of
 * canonical JSON (what is stored and hashed), else DSE-001 naming the limit.
 */
export function checkResultMetadata(value: Record<string, unknown> | undefined): Record<string, unknown> | null {
  if (value === undefined) return null;
  const bytes = Buffer.byteLength(canonicalJson(value), 'utf8');
  if (bytes > RESULT_METADATA_MAX_BYTES) {
    throw new InvalidRequestError(
      `result_metadata is ${bytes} bytes of canonical JSON: at most ${RESULT_METADATA_MAX_BYTES} (64 KB) are taken`,
      { field: 'result_metadata', limit_bytes: RESULT_METADATA_MAX_BYTES },
    );
  }
  return value;
}
