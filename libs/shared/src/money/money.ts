import { InvalidRequestError } from '../errors';
import { INT64_MAX, int64Problem } from '../json/proto-json';

/** 1 credit = 1,000,000 micro-credits; every amount is stored and computed in micros. */
export const MICROS_PER_CREDIT = 1_000_000n;

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

/** Formats micros as the shortest exact decimal string: 97500000n → "97.5", -1n → "-0.000001". */
export function formatMicros(micros: bigint): string {
  const negative = micros < 0n;
  const abs = negative ? -micros : micros;
  const whole = abs / MICROS_PER_CREDIT;
  const fraction = (abs % MICROS_PER_CREDIT).toString().padStart(6, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** Reads a BIGINT column (pg returns int8 as a string) as bigint. */
export function toMicros(column: string | number | bigint | null | undefined): bigint {
  if (column === null || column === undefined) return 0n;
  return BigInt(column);
}
