import Decimal from 'decimal.js';
import { InvalidRequestError, isJsonObject } from '@tally/shared';
import { canonicalDecimal, DECIMAL_PATTERN } from './decimals';

/**
 * How a typed request's body gives the number of a service's units (`units_rule`):
 * units = scale × the product of the factors, each one read from the body by a JSON pointer
 * (RFC 6901) into a field the service's input schema declares:
 *
 * - `"/max_tokens"`: the number there (the schema must require it);
 * - `{"pointer": "/images", "default": 1}`: the number there, or the default when it is left out;
 * - `{"span": ["/frame_start", "/frame_end"]}`: end − start + 1, an inclusive count;
 * - `{"count": "/texts"}`: the length of the array (or string) there.
 *
 * No factors is one unit. The product is rounded up to a whole millionth of a unit (never
 * undercharge), and must be > 0 and at most 18 integer digits.
 */
export type UnitsFactor =
  string | { pointer: string; default: number } | { span: [string, string] } | { count: string };

export interface UnitsRule {
  multiply: UnitsFactor[];
  /** A decimal string > 0; "1" when left out. */
  scale: string;
}

const POINTER = /^(\/([^~/]|~[01])*)+$/;
const SCALE = /^(0|[1-9]\d{0,17})(\.\d{1,18})?$/;
const MAX_FACTORS = 8;
const Exact = Decimal.clone({ precision: 100, rounding: Decimal.ROUND_CEIL, toExpPos: 1000, toExpNeg: -1000 });

function fail(message: string, field = 'units_rule'): never {
  throw new InvalidRequestError(message, { field });
}

/** The property names a pointer walks through ("~1" is "/", "~0" is "~"). */
function tokens(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/**
 * The subschema a pointer names, walked through `properties`, and whether every step is
 * `required` (so a valid body always has the value).
 */
function subschemaAt(
  schema: Record<string, unknown>,
  pointer: string,
): { schema: Record<string, unknown>; required: boolean } | null {
  let here: Record<string, unknown> = schema;
  let required = true;
  for (const name of tokens(pointer)) {
    const properties = here.properties;
    if (!isJsonObject(properties) || !Object.hasOwn(properties, name) || !isJsonObject(properties[name])) return null;
    required &&= Array.isArray(here.required) && here.required.includes(name);
    here = properties[name] as Record<string, unknown>;
  }
  return { schema: here, required };
}

function typesOf(schema: Record<string, unknown>): string[] {
  return Array.isArray(schema.type) ? (schema.type as string[]) : typeof schema.type === 'string' ? [schema.type] : [];
}

/** A pointer into a field of one of `types` that the input schema declares. */
function checkPointer(
  inputSchema: Record<string, unknown>,
  pointer: unknown,
  at: string,
  types: string[],
  mustBeRequired: boolean,
): void {
  if (typeof pointer !== 'string' || !POINTER.test(pointer) || pointer.length > 256) {
    fail(`${at} must be a JSON pointer into the body, like "/max_tokens"`, at);
  }
  const found = subschemaAt(inputSchema, pointer);
  if (!found) fail(`${at} names ${pointer}, which input_schema does not declare (through properties)`, at);
  const declared = typesOf(found.schema);
  if (declared.length === 0 || !declared.every((t) => types.includes(t))) {
    fail(`${at} names ${pointer}, which input_schema must declare of type ${types.join(' or ')}`, at);
  }
  if (mustBeRequired && !found.required) {
    fail(`${at} names ${pointer}, which input_schema does not require: give it a default`, at);
  }
}

/**
 * Checks a units rule as written (PUT or the seed file) against the service's input schema:
 * every pointer names a declared numeric (or, to count, array/string) field that a valid
 * body always has or that has a default. Bad rules are DSE-001 naming the field.
 */
export function parseUnitsRule(rule: unknown, inputSchema: Record<string, unknown>): UnitsRule | null {
  if (rule === undefined || rule === null) return null;
  if (!isJsonObject(rule)) fail('units_rule must be an object with multiply (and scale)');
  const extra = Object.keys(rule).find((k) => k !== 'multiply' && k !== 'scale');
  if (extra) fail(`units_rule.${extra} is not a units rule field (known: multiply, scale)`, `units_rule.${extra}`);
  const { multiply, scale = '1' } = rule as { multiply?: unknown; scale?: unknown };
  if (!Array.isArray(multiply) || multiply.length > MAX_FACTORS) {
    fail(`units_rule.multiply must be a list of at most ${MAX_FACTORS} factors`, 'units_rule.multiply');
  }
  if (typeof scale !== 'string' || !SCALE.test(scale) || /^0(\.0*)?$/.test(scale)) {
    fail('units_rule.scale must be a decimal string > 0, like "0.001"', 'units_rule.scale');
  }
  const numbers = ['integer', 'number'];
  multiply.forEach((factor: unknown, i) => {
    const at = `units_rule.multiply[${i}]`;
    if (typeof factor === 'string') return checkPointer(inputSchema, factor, at, numbers, true);
    if (!isJsonObject(factor)) fail(`${at} must be a JSON pointer or an object with pointer, span or count`, at);
    const keys = Object.keys(factor).sort().join(',');
    if (keys === 'default,pointer') {
      checkPointer(inputSchema, factor.pointer, `${at}.pointer`, numbers, false);
      const d = factor.default;
      if (typeof d !== 'number' || !Number.isFinite(d) || d <= 0) fail(`${at}.default must be a number > 0`, at);
    } else if (keys === 'span') {
      const span = factor.span;
      if (!Array.isArray(span) || span.length !== 2) fail(`${at}.span must be [start pointer, end pointer]`, at);
      span.forEach((p, n) => checkPointer(inputSchema, p, `${at}.span[${n}]`, ['integer'], true));
    } else if (keys === 'count') {
      checkPointer(inputSchema, factor.count, `${at}.count`, ['array', 'string'], true);
    } else {
      fail(`${at} must be a JSON pointer, {pointer, default}, {span} or {count}`, at);
    }
  });
  return { multiply: multiply as UnitsFactor[], scale: canonicalDecimal(scale) };
}

function valueAt(body: unknown, pointer: string): unknown {
  let here: unknown = body;
  for (const name of tokens(pointer)) {
    if (!isJsonObject(here) || !Object.hasOwn(here, name)) return undefined;
    here = here[name];
  }
  return here;
}

/** JSON numbers as exact decimals (a JS number prints as the shortest string that reads back as itself). */
function decimalOf(value: unknown, pointer: string): Decimal {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidRequestError(`${pointer} must be a number`, { field: pointer });
  }
  return new Exact(String(value));
}

/**
 * The units a body (already valid by the input schema) asks for, as a decimal string with at
 * most 6 fractional digits, rounded up. Zero, negative or out-of-range units are DSE-001.
 */
export function unitsOf(rule: UnitsRule, body: unknown): string {
  let units = new Exact(rule.scale);
  for (const factor of rule.multiply) {
    if (typeof factor === 'string') {
      units = units.times(decimalOf(valueAt(body, factor), factor));
    } else if ('pointer' in factor) {
      const value = valueAt(body, factor.pointer);
      units = units.times(decimalOf(value === undefined ? factor.default : value, factor.pointer));
    } else if ('span' in factor) {
      const [start, end] = factor.span;
      const span = decimalOf(valueAt(body, end), end)
        .minus(decimalOf(valueAt(body, start), start))
        .plus(1);
      if (span.lte(0)) throw new InvalidRequestError(`${end} must not be before ${start}`, { field: end });
      units = units.times(span);
    } else {
      const value = valueAt(body, factor.count);
      units = units.times(Array.isArray(value) || typeof value === 'string' ? value.length : 0);
    }
  }
  const text = canonicalDecimal(units.toDecimalPlaces(6, Decimal.ROUND_CEIL).toFixed(6));
  if (units.lte(0) || !DECIMAL_PATTERN.test(text)) {
    throw new InvalidRequestError(`the request comes to ${units.toFixed()} units: it must be > 0 and below 10^18`, {
      field: rule.multiply.length > 0 ? pointerOf(rule.multiply[0]) : '/',
    });
  }
  return text;
}

function pointerOf(factor: UnitsFactor): string {
  if (typeof factor === 'string') return factor;
  if ('pointer' in factor) return factor.pointer;
  if ('span' in factor) return factor.span[1];
  return factor.count;
}

/** The wire form (snake_case, as stored). */
export function unitsRuleJson(rule: UnitsRule | null): Record<string, unknown> | null {
  return rule && { multiply: rule.multiply, scale: rule.scale };
}
