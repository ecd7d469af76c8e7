import { InvalidRequestError } from '../errors';
import { INT64_MAX, int64Problem } from '../json/proto-json';
import { MICROS_PER_CREDIT } from './micros';

export { MICROS_PER_CREDIT, formatMicros } from './micros';

const DECIMAL_AMOUNT = /^(0|[1-9]\d*)(\.\d{1,6})?$/;

/**
 * Parses an API `amount` (a decimal string with at most 6 fractional digits) into
 * positive micros. Anything else is DSE-001; nothing is ever rounded.
 */
export function parseAmount(value: unknown, field = 'amount'): bigint {
  if (typeof value !== 'string' || !DECIMAL_AMOUNT.test(value)) {
    throw new InvalidRequestError(`${field} must be a decimal string with at most 6 fractional digits, like "12.5"`, {
      field,
    });
  }
  const [whole, fraction = ''] = value.split('.');
  const micros = BigInt(whole) * MICROS_PER_CREDIT + BigInt(fraction.padEnd(6, '0'));
  return checkPositiveInt64(micros, field);
}

/**
 * Parses a `*_micros` field, an int64 as the JSON mapping reads it (a decimal string, or a
 * JSON integer that lost no digits in JSON). Must be > 0.
 */
export function parseMicros(value: unknown, field = 'micros'): bigint {
  const problem = int64Problem(value);
  if (problem) throw new InvalidRequestError(`${field} ${problem}`, { field });
  return checkPositiveInt64(BigInt(value as string | number), field);
}

function checkPositiveInt64(micros: bigint, field: string): bigint {
  if (micros <= 0n) throw new InvalidRequestError(`${field} must be greater than zero`, { field });
  if (micros > INT64_MAX) throw new InvalidRequestError(`${field} is beyond the int64 range`, { field });
  return micros;
}

/** Reads a BIGINT column (pg returns int8 as a string) as bigint. */
export function toMicros(column: string | number | bigint | null | undefined): bigint {
  if (column === null || column === undefined) return 0n;
  return BigInt(column);
}
