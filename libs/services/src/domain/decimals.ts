import { InvalidRequestError, parseAmount } from '@tally/shared';

/**
 * A non-negative decimal string with at most 18 integer and 6 fractional digits: what a
 * `numeric(24, 6)` column holds exactly. Used for size factors and unit counts.
 */
export const DECIMAL_PATTERN = /^(0|[1-9]\d{0,17})(\.\d{1,6})?$/;
export const DECIMAL_MESSAGE =
  '$property must be a decimal string with at most 18 integer and 6 fractional digits, like "1.5"';

/** A credit amount as the API writes it (docs/architecture.md §3); zero allowed here, the range is checked on parse. */
export const CREDITS_PATTERN = /^(0|[1-9]\d*)(\.\d{1,6})?$/;
export const CREDITS_MESSAGE =
  '$property must be a decimal string of credits with at most 6 fractional digits, like "12.5"';

const ZERO = /^0(\.0{1,6})?$/;

/** The shortest exact form of a decimal string: "1.50" → "1.5", "2.000000" → "2". */
export function canonicalDecimal(value: string): string {
  if (!value.includes('.')) return value;
  return value.replace(/0+$/, '').replace(/\.$/, '');
}

/**
 * Parses a positive decimal (a size factor, a number of units) into its canonical string.
 * Anything else, including zero and more than 6 fractional digits, is DSE-001: never rounded.
 */
export function parsePositiveDecimal(value: unknown, field: string): string {
  if (typeof value !== 'string' || !DECIMAL_PATTERN.test(value)) {
    throw new InvalidRequestError(
      `${field} must be a decimal string with at most 18 integer and 6 fractional digits, like "1.5"`,
      { field },
    );
  }
  if (ZERO.test(value)) throw new InvalidRequestError(`${field} must be greater than zero`, { field });
  return canonicalDecimal(value);
}

/** Parses a credit amount that may be zero (a minimum charge) into micros, within int64. */
export function parseCreditsOrZero(value: unknown, field: string): bigint {
  if (typeof value === 'string' && ZERO.test(value)) return 0n;
  return parseAmount(value, field);
}
