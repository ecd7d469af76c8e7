import { Transform } from 'class-transformer';
import { ValidateBy } from 'class-validator';
import { InvalidRequestError } from '../errors';

/**
 * The proto3 JSON mapping, in one place: REST responses, REST requests and the JSON event
 * payloads take their forms from here (docs/api.md, "JSON mapping").
 * - int64: written as a decimal string ("12345"), read from a decimal string or a JSON integer;
 * - double: a JSON number;
 * - enum: its name ("COMPLETED");
 * - Timestamp: an RFC 3339 string in UTC ("2025-12-28T03:50:00.000Z").
 * Field names are the proto field names, snake_case.
 */

/** The int64 range (a Postgres BIGINT's). */
export const INT64_MAX = 9_223_372_036_854_775_807n;
export const INT64_MIN = -INT64_MAX - 1n;

/** An int64 as a decimal string: an optional minus, no leading zeros, no exponent, no fraction. */
const INT64_TEXT = /^-?(0|[1-9]\d{0,18})$/;

const inInt64 = (n: bigint) => n >= INT64_MIN && n <= INT64_MAX;

/** An int64 on the way out: its decimal string. A value that is no int64 is a bug, not input. */
export function int64ToJson(value: bigint | number | string): string {
  const n =
    typeof value === 'bigint'
      ? value
      : Number.isSafeInteger(value) || INT64_TEXT.test(String(value))
        ? BigInt(value)
        : NaN;
  if (typeof n !== 'bigint' || !inInt64(n)) throw new TypeError(`not an int64: ${String(value)}`);
  return n.toString();
}

export function nullableInt64ToJson(value: bigint | number | string | null | undefined): string | null {
  return value === null || value === undefined ? null : int64ToJson(value);
}

/**
 * Why a request value is not an int64 as the mapping reads it (null when it is one): a
 * decimal string, or a JSON integer. A JSON number past 2^53 has already lost digits when
 * it was parsed, so it is refused rather than read as a neighbour: such a value is sent
 * as a string.
 */
export function int64Problem(value: unknown): string | null {
  const expected = 'must be an int64: a decimal string of digits ("123") or a JSON integer';
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return expected;
    if (Math.abs(value) >= 2 ** 63) return 'is beyond the int64 range';
    if (!Number.isSafeInteger(value)) return 'is beyond 2^53 as a JSON number (digits were lost): send it as a string';
    return null;
  }
  if (typeof value !== 'string' || !INT64_TEXT.test(value)) return expected;
  return inInt64(BigInt(value)) ? null : 'is beyond the int64 range';
}

/** An int64 from a request (see int64Problem), within [min, max]; anything else is DSE-001 naming the field. */
export function parseInt64(value: unknown, field: string, range: { min?: bigint; max?: bigint } = {}): bigint {
  const problem = int64Problem(value);
  if (problem) throw new InvalidRequestError(`${field} ${problem}`, { field });
  const n = BigInt(value as string | number);
  if (range.min !== undefined && n < range.min) {
    throw new InvalidRequestError(`${field} must be at least ${range.min}`, { field });
  }
  if (range.max !== undefined && n > range.max) {
    throw new InvalidRequestError(`${field} must be at most ${range.max}`, { field });
  }
  return n;
}

/**
 * A DTO field holding an int64: a JSON integer or a decimal string, validated by the
 * mapping (and within `range`, so every bad field of a request is named at once) and handed
 * to the controller as its decimal string (so no digit is lost on the way).
 */
export function Int64Field(range: { min?: bigint; max?: bigint } = {}): PropertyDecorator {
  const rangeProblem = (value: unknown): string | null => {
    const problem = int64Problem(value);
    if (problem) return problem;
    const n = BigInt(value as string | number);
    if (range.min !== undefined && n < range.min) return `must be at least ${range.min}`;
    if (range.max !== undefined && n > range.max) return `must be at most ${range.max}`;
    return null;
  };
  const toText = Transform(({ value }) =>
    typeof value === 'number' && int64Problem(value) === null ? String(value) : value,
  );
  const valid = ValidateBy({
    name: 'isInt64',
    validator: {
      validate: (value: unknown) => rangeProblem(value) === null,
      defaultMessage: (args) => `$property ${rangeProblem(args?.value) ?? 'must be an int64'}`,
    },
  });
  return (target, key) => {
    toText(target, key as string);
    valid(target, key as string);
  };
}

/** A double on the way out: a JSON number (an exact decimal inside, such as a score, becomes its nearest double). */
export function doubleToJson(value: string | number): number {
  const n = Number(value);
  if (!Number.isFinite(n) || (typeof value === 'string' && value.trim() === '')) {
    throw new TypeError(`not a finite double: ${String(value)}`);
  }
  return n;
}

/** A Timestamp on the way out: RFC 3339 in UTC with milliseconds, whatever form it was held in. */
export function timestampToJson(value: Date | string | number): string {
  const t = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(t.getTime())) throw new TypeError(`not a timestamp: ${String(value)}`);
  return t.toISOString();
}

export function nullableTimestampToJson(value: Date | string | number | null | undefined): string | null {
  return value === null || value === undefined ? null : timestampToJson(value);
}

/** An enum on the way out: its name, which must be one of the enum's names. */
export function enumToJson<T extends string>(names: readonly T[], value: string): T {
  if (!(names as readonly string[]).includes(value)) throw new TypeError(`not one of ${names.join(', ')}: ${value}`);
  return value as T;
}
