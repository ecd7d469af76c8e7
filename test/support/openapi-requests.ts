import fc from 'fast-check';

/**
 * Requests for property-based tests, generated from the app's own OpenAPI document: for each
 * operation, its path, query and body as documented (with real ids some of the time), mixed
 * with what no client should send: wrong types, nulls, numbers JSON cannot hold, deep
 * nesting, long and odd strings, missing and extra fields, odd paths and query strings.
 */

/** JSON text written as is where JSON.stringify cannot write it (1e400, a key twice, 70 levels deep). */
export class RawJson {
  constructor(readonly text: string) {}
}
export type JsonText = null | boolean | number | string | RawJson | JsonText[] | { [key: string]: JsonText };

/** The JSON text of a value; strings as JSON.stringify writes them (a lone surrogate as \ud800). */
export function jsonText(value: JsonText): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map(jsonText).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}:${jsonText(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export type Role = 'admin' | 'client' | 'prover';
type Schema = Record<string, unknown>;

export interface Operation {
  method: string;
  /** The path template, e.g. /v1/jobs/{network_job_id}. */
  path: string;
  /** Roles the route admits (`x-roles`); undefined for a public route. */
  roles?: Role[];
  pathParams: string[];
  query: { name: string; schema: Schema }[];
  headers: string[];
  body?: Schema;
}

/**
 * Who sends a request: a key of a role; a prover key that signs its requests (see
 * `signing`); a key the server does not know; an Authorization or X-API-Key header that
 * is not one (in `headers`); or no key.
 */
export type Caller = Role | 'signing prover' | 'unknown' | 'malformed' | 'none';

export interface FuzzRequest {
  method: string;
  path: string;
  caller: Caller;
  /** For a signing prover: a fresh signature, one stamped 10 minutes ago, one of other bytes, or none. */
  signing: 'fresh' | 'stale' | 'wrong' | 'missing';
  headers: Record<string, string>;
  body?: string;
}

/** Real ids to put in paths and bodies some of the time, by parameter or field name. */
export type Seeds = Record<string, string[]>;

/** Every operation of an OpenAPI 3 document, in document order. */
export function operationsOf(document: { paths: Record<string, Record<string, Schema>> }): Operation[] {
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const params = (op.parameters ?? []) as { name: string; in: string; schema: Schema }[];
      const content = (op.requestBody as { content?: Record<string, { schema: Schema }> } | undefined)?.content;
      operations.push({
        method: method.toUpperCase(),
        path,
        roles: op['x-roles'] as Role[] | undefined,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        query: params.filter((p) => p.in === 'query').map(({ name, schema }) => ({ name, schema })),
        headers: params.filter((p) => p.in === 'header').map((p) => p.name),
        body: content?.['application/json']?.schema,
      });
    }
  }
  return operations;
}

/** Numbers as JSON text: past every column's range, past what a double holds, and the edges. */
const RAW_NUMBERS = [
  '1e400',
  '-1e400',
  '1E309',
  '1' + '0'.repeat(400),
  '1e-400',
  '-0',
  '-1',
  '0.5',
  '1.0',
  '1e2',
  '32767',
  '32768',
  '2147483647',
  '2147483648',
  '-2147483649',
  '4294967296',
  '9007199254740993',
  '9223372036854775807',
  '9223372036854775808',
  '18446744073709551616',
  '1e308',
  '1.7976931348623157e308',
  '5e-324',
];

/** Strings that have broken parsers, validators, databases and logs before. */
const ODD_STRINGS = [
  '',
  ' ',
  'a'.repeat(129),
  'x'.repeat(20_000),
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udc00',
  '\ud83d',
  '\u202e\u202dabc',
  '\u200f\u200e',
  '\ufeff',
  'e\u0301',
  '😀',
  '\n\r\t',
  '..',
  '.',
  '../../etc/passwd',
  '%00',
  "'; DROP TABLE jobs; --",
  '1e400',
  'NaN',
  'Infinity',
  '-1',
  '0',
  ' 5',
  '5.0',
  '١٢٣',
  '１２３',
  'null',
  'true',
  '__proto__',
  'toString',
  '00000000-0000-0000-0000-000000000000',
  'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
  '9007199254740993',
  '9223372036854775807',
  '9223372036854775808',
  '18446744073709551616',
  '2024-02-30T25:61:00Z',
  '0000-01-01T00:00:00Z',
  '275760-09-13T00:00:00.001Z',
  '-000001-01-01T00:00:00Z',
];

/** Decimal strings around what amounts, micros and weights allow. */
const DECIMALS = [
  '1',
  '0.5',
  '0',
  '0.000001',
  '0.0000001',
  '1000000',
  '9223372036854.775807',
  '9223372036854.775808',
  '9223372036854775807',
  '9223372036854775808',
  '99999999999999999999999999999',
  '1.1234567',
  '01',
  '1.',
  '.5',
  '-1',
  '+1',
  '1e3',
];

const rawNumber = fc.constantFrom(...RAW_NUMBERS).map((t) => new RawJson(t));
const oddString = fc.constantFrom(...ODD_STRINGS);

/** Nesting around the body parser's limit (64) and far past it. */
const deepNesting = fc
  .tuple(fc.constantFrom(10, 60, 63, 65, 200, 5000), fc.boolean())
  .map(([depth, arrays]) =>
    arrays
      ? new RawJson('['.repeat(depth) + ']'.repeat(depth))
      : new RawJson('{"a":'.repeat(depth) + '1' + '}'.repeat(depth)),
  );

/** An object naming a key twice, written raw (JSON.parse would keep only the last). */
const duplicateKey = fc.constant(new RawJson('{"a":1,"a":2}'));

const key = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 8 }) },
  { weight: 1, arbitrary: oddString.filter((s) => s.length < 100) },
);

/** Plain JSON, as a free-form field usually holds. */
const plainJson = fc.jsonValue({ maxDepth: 2, stringUnit: 'grapheme' }) as fc.Arbitrary<JsonText>;
const plainKey = fc.string({ maxLength: 8, unit: 'grapheme' });

const leaf: fc.Arbitrary<JsonText> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 16, unit: 'binary' }),
  oddString,
  rawNumber,
);

/** Any JSON, with raw numbers, odd strings, deep nesting and a key twice in it. */
const anyJson: fc.Arbitrary<JsonText> = fc.letrec<{ value: JsonText }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 4 }),
    deepNesting,
    duplicateKey,
  ),
})).value;

/** A raw number (mostly one past a range, or one JSON cannot hold) buried in an object, as in a free-form field. */
const buriedNumber = fc
  .tuple(fc.nat(5), rawNumber)
  .map(([depth, n]) => new RawJson('{"a":'.repeat(depth) + `{"x":[1,{"y":${n.text}}]}` + '}'.repeat(depth)));

/** Anything, of any kind: for a field whose kind is not known. */
const wrongKind: fc.Arbitrary<JsonText> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.constantFrom<JsonText>(0, -1, 1.5, '', [], {}, [null], [[]], { a: null }),
  rawNumber,
  oddString,
  deepNesting,
  anyJson,
);

/** The value 1 time in n, otherwise undefined. */
const sometimes = <T>(arbitrary: fc.Arbitrary<T>, n: number) =>
  fc.oneof({ weight: n - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary });

/** Where a field's or parameter's real ids come from: `prover_ids` holds prover ids. */
const seedName = (name: string) => (name === 'prover_ids' ? 'prover_id' : name);

/** A place in a documented body where one mutation goes: a field to replace, add or take out. */
interface Site {
  path: (string | number)[];
  schema: Schema;
  name: string;
  remove?: true;
}

/** The value with the one at `path` replaced (undefined: taken out); the rest shared, not copied. */
function setAt(value: JsonText, path: (string | number)[], replacement: JsonText | undefined): JsonText | undefined {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path;
  if (Array.isArray(value)) {
    const copy = [...value];
    const inner = setAt(copy[head as number], rest, replacement);
    if (inner === undefined) copy.splice(head as number, 1);
    else copy[head as number] = inner;
    return copy;
  }
  const copy = { ...(value as Record<string, JsonText>) };
  const inner = setAt(copy[head], rest, replacement);
  if (inner === undefined) delete copy[head];
  else copy[head] = inner;
  return copy;
}

export class RequestGenerator {
  constructor(
    private readonly components: Record<string, Schema>,
    private readonly seeds: Seeds,
  ) {}

  /** Requests for one operation. */
  requests(op: Operation): fc.Arbitrary<FuzzRequest> {
    return fc
      .record({
        method: fc.oneof(
          { weight: 40, arbitrary: fc.constant(op.method) },
          { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS') },
        ),
        caller: this.caller(op),
        signing: fc.constantFrom<FuzzRequest['signing']>(
          'fresh',
          'fresh',
          'fresh',
          'fresh',
          'stale',
          'wrong',
          'missing',
        ),
        credentials: fc.constantFrom<Record<string, string>>(
          { authorization: 'Bearer' },
          { authorization: 'Basic dXNlcjpwYXNz' },
          { authorization: 'Bearer two keys' },
          { authorization: `Bearer ${'k'.repeat(5000)}` },
          { 'x-api-key': 'one,two' },
          { 'x-api-key': ' ' },
          { authorization: 'Bearer tly_a', 'x-api-key': 'tly_b' },
        ),
        path: fc.tuple(...op.pathParams.map((name) => this.pathSegment(name, op.path))),
        query: this.queryString(op),
        body: this.body(op),
        contentType: fc.oneof(
          { weight: 20, arbitrary: fc.constant('application/json') },
          {
            weight: 1,
            arbitrary: fc.constantFrom(
              'application/json; charset=utf-8',
              'application/json; charset=latin1',
              'application/merge-patch+json',
              'text/plain',
              'application/x-www-form-urlencoded',
              'multipart/form-data; boundary=x',
              'application/octet-stream',
              '',
            ),
          },
        ),
        idempotencyKey: fc.oneof(
          { weight: 12, arbitrary: fc.uuid() },
          { weight: 1, arbitrary: fc.constant(undefined) },
          { weight: 1, arbitrary: fc.constantFrom('', 'x'.repeat(300), 'a b', 'ключ', '\u0000') },
        ),
      })
      .map(({ method, caller, signing, credentials, path, query, body, contentType, idempotencyKey }) => {
        let i = 0;
        const headers: Record<string, string> = caller === 'malformed' ? { ...credentials } : {};
        if (body !== undefined && contentType !== '') headers['content-type'] = contentType;
        if (op.headers.includes('Idempotency-Key') && idempotencyKey !== undefined) {
          // A header value cannot carry control or non-Latin-1 characters: those go encoded.
          headers['idempotency-key'] = /^[\x20-\x7e]*$/.test(idempotencyKey)
            ? idempotencyKey
            : percentEncode(idempotencyKey);
        }
        return {
          method,
          path: op.path.replace(/\{[^}]+\}/g, () => path[i++]) + query,
          caller,
          signing,
          headers,
          body,
        };
      });
  }

  /** Mostly a key of a role the route admits (a prover's signing or not), sometimes anyone else. */
  private caller(op: Operation): fc.Arbitrary<Caller> {
    const anyone = fc.constantFrom<Caller>(
      'admin',
      'client',
      'prover',
      'signing prover',
      'unknown',
      'malformed',
      'none',
    );
    if (!op.roles?.length) return anyone;
    const admitted = op.roles.flatMap((role): Caller[] => (role === 'prover' ? ['prover', 'signing prover'] : [role]));
    return fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...admitted) }, { weight: 1, arbitrary: anyone });
  }

  /** A path segment, percent-encoded: a real id, a plausible one, or an odd one (some written raw). */
  private pathSegment(name: string, path: string): fc.Arbitrary<string> {
    const real = this.seedsFor(name, path);
    return fc.oneof(
      { weight: real.length ? 12 : 0, arbitrary: real.length ? fc.constantFrom(...real) : fc.constant('x') },
      {
        weight: 2,
        arbitrary: fc.oneof(
          fc.uuid(),
          fc.stringMatching(/^[a-z0-9-]{1,12}$/),
          fc.bigInt({ min: 1n, max: 2n ** 63n - 1n }).map(String),
        ),
      },
      { weight: 2, arbitrary: oddString.map(percentEncode) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          '%',
          '%zz',
          '%00',
          '%C0%AF',
          '%ED%A0%80',
          '%FF',
          '%2e%2e',
          'a%2Fb',
          '1e400',
          '99999999999999999999',
          '-1',
          '0',
          'a'.repeat(3000),
        ),
      },
    );
  }

  /** Real ids by name; admin key ids only of the key kept for this (the callers' own keys are never named). */
  private seedsFor(name: string, path: string): string[] {
    if (name === 'id') return this.seeds[path.startsWith('/v1/admin/keys') ? 'api_key_id' : 'service_id'] ?? [];
    return this.seeds[seedName(name)] ?? [];
  }

  /** Documented parameters, one of them sometimes wrong; now and then odd text besides. */
  private queryString(op: Operation): fc.Arbitrary<string> {
    // Each parameter a third of the time: most are filters, and all of them at once match nothing.
    const documented = fc.tuple(
      ...op.query.map(({ name, schema }) =>
        fc.oneof(
          { weight: 2, arbitrary: fc.constant(undefined) },
          { weight: 1, arbitrary: this.valid(schema, name).map(queryValue) },
        ),
      ),
    );
    const wrongOne = op.query.length
      ? fc
          .nat(op.query.length - 1)
          .chain((i) => this.nearMiss(op.query[i].schema, op.query[i].name).map((v) => ({ i, text: queryValue(v) })))
      : fc.constant(undefined);
    const raw = fc.constantFrom(
      'unknown=1',
      'limit=1&limit=2',
      'cursor=a&cursor=b',
      'a[b]=c',
      '%zz=1',
      'limit',
      '=x',
      '&&',
      `q=${'x'.repeat(5000)}`,
    );
    return fc.tuple(documented, sometimes(wrongOne, 3), sometimes(raw, 8)).map(([values, wrong, extra]) => {
      const texts = [...values];
      if (wrong) texts[wrong.i] = wrong.text;
      const parts = op.query.flatMap(({ name }, i) =>
        texts[i] === undefined ? [] : [`${name}=${percentEncode(texts[i])}`],
      );
      if (extra) parts.push(extra);
      return parts.length ? `?${parts.join('&')}` : '';
    });
  }

  /** The body text: as documented, with one or two things wrong, or none or garbage. */
  private body(op: Operation): fc.Arbitrary<string | undefined> {
    const garbage = fc.constantFrom(
      '',
      'null',
      '[]',
      '"text"',
      '1e400',
      '{',
      '{"a":1,"a":2}',
      '{"__proto__":{"x":1}}',
      '{"a":1e400}',
      '\ufeff{}',
    );
    if (!op.body) {
      return fc.oneof(
        { weight: 6, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.constant('{}') },
        { weight: 1, arbitrary: garbage },
        { weight: 1, arbitrary: wrongKind.filter((v) => v !== null && typeof v === 'object').map(jsonText) },
      );
    }
    const schema = op.body;
    const valid = this.valid(schema, '');
    return fc.oneof(
      { weight: 3, arbitrary: valid.map(jsonText) },
      { weight: 6, arbitrary: valid.chain((v) => this.mutated(v, schema)).map(jsonText) },
      {
        weight: 2,
        arbitrary: valid
          .chain((v) => this.mutated(v, schema))
          .chain((v) => this.mutated(v, schema))
          .map(jsonText),
      },
      { weight: 1, arbitrary: fc.oneof(fc.constant(undefined), garbage, deepNesting.map(jsonText)) },
    );
  }

  /** The value with one field replaced by a near miss, added, or (a required one) taken out. */
  private mutated(value: JsonText, schema: Schema): fc.Arbitrary<JsonText> {
    const sites = this.sites(value, schema, []).filter((site) => site.path.length > 0);
    if (!sites.length) return fc.constant(value);
    return fc
      .constantFrom(...sites)
      .chain((site) =>
        site.remove
          ? fc.constant(setAt(value, site.path, undefined)!)
          : this.nearMiss(site.schema, site.name).map((v) => setAt(value, site.path, v)!),
      );
  }

  /** Every place in a documented value where a mutation can go. */
  private sites(value: JsonText, schema: Schema, path: (string | number)[], name = ''): Site[] {
    const resolved = this.resolve(schema);
    const sites: Site[] = [{ path, schema: resolved, name }];
    const properties = resolved.properties as Record<string, Schema> | undefined;
    if (
      properties &&
      value !== null &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      !(value instanceof RawJson)
    ) {
      const required = new Set((resolved.required as string[] | undefined) ?? []);
      for (const [field, property] of Object.entries(properties)) {
        if (field in value) {
          sites.push(...this.sites(value[field], property, [...path, field], field));
          if (required.has(field)) sites.push({ path: [...path, field], schema: property, name: field, remove: true });
        } else {
          sites.push({ path: [...path, field], schema: property, name: field });
        }
      }
      sites.push({ path: [...path, 'unknown_field'], schema: {}, name: 'unknown_field' });
    }
    if (resolved.type === 'array' && Array.isArray(value)) {
      value.forEach((item, i) =>
        sites.push(...this.sites(item, (resolved.items ?? {}) as Schema, [...path, i], seedName(name))),
      );
    }
    return sites;
  }

  /** A value as documented: real ids, examples, in-range numbers; optional fields half the time. */
  private valid(schema: Schema, name: string): fc.Arbitrary<JsonText> {
    const resolved = this.resolve(schema);
    if (Array.isArray(resolved.enum)) return fc.constantFrom(...(resolved.enum as JsonText[]));
    switch (resolved.type) {
      case 'object': {
        const properties = Object.entries((resolved.properties ?? {}) as Record<string, Schema>);
        if (!properties.length) {
          // Free-form: its example when it has one (a job's requirements name real attributes), or any object.
          const any = fc.dictionary(plainKey, plainJson, { maxKeys: 3 });
          return resolved.example === undefined ? any : fc.oneof(fc.constant(resolved.example as JsonText), any);
        }
        const required = new Set((resolved.required as string[] | undefined) ?? []);
        const fields = properties.map(([field, property]) =>
          required.has(field)
            ? this.valid(property, field)
            : fc.option(this.valid(property, field), { nil: undefined, freq: 2 }),
        );
        return fc.tuple(...fields).map((values) => {
          const out: Record<string, JsonText> = {};
          properties.forEach(([field], i) => {
            if (values[i] !== undefined) out[field] = values[i];
          });
          return out;
        });
      }
      case 'array': {
        const items = this.valid((resolved.items ?? {}) as Schema, seedName(name));
        return fc.array(items, { minLength: 1, maxLength: Math.min((resolved.maxItems as number) ?? 3, 3) });
      }
      case 'integer':
      case 'number': {
        const min = (resolved.minimum as number | undefined) ?? 0;
        const max = (resolved.maximum as number | undefined) ?? 1000;
        const examples = resolved.example === undefined ? [] : [resolved.example as number];
        const inRange = resolved.type === 'integer' ? fc.integer({ min, max }) : fc.double({ min, max, noNaN: true });
        return fc.oneof(inRange, fc.constantFrom(min, max, ...examples));
      }
      case 'boolean':
        return fc.boolean();
      case 'string':
        return this.validString(resolved, name);
      default:
        return plainJson; // documented as any JSON (opaque)
    }
  }

  private validString(schema: Schema, name: string): fc.Arbitrary<JsonText> {
    const real = this.seeds[seedName(name)] ?? [];
    const examples = typeof schema.example === 'string' ? [schema.example] : [];
    const options: fc.WeightedArbitrary<JsonText>[] = [];
    if (real.length) options.push({ weight: 3, arbitrary: fc.constantFrom(...real) });
    if (examples.length) options.push({ weight: 1, arbitrary: fc.constantFrom(...examples) });
    if (examples.some((e) => /^\d+$/.test(e))) {
      options.push({ weight: 2, arbitrary: fc.constantFrom('1', '10', '250', '1000000') });
    } else if (examples.some((e) => /^\d+\.\d+$/.test(e))) {
      options.push({ weight: 2, arbitrary: fc.constantFrom('1', '0.5', '0.000001', '10', '250') });
    } else if (typeof schema.pattern === 'string') {
      options.push({ weight: 1, arbitrary: fc.stringMatching(new RegExp(schema.pattern)) });
    } else if (!real.length) {
      // Most undocumented strings are ids of this shape (memos and labels take any text).
      options.push({ weight: 1, arbitrary: fc.stringMatching(/^[a-z0-9._-]{1,16}$/) });
    }
    return fc.oneof(...options);
  }

  /** What a field of this schema should not be given: its edges and past them, other kinds, odd text. */
  private nearMiss(schema: Schema, name: string): fc.Arbitrary<JsonText> {
    const resolved = this.resolve(schema);
    // null as often as any of the others: a handler that meets it where it expects a value falls over.
    const options: fc.Arbitrary<JsonText>[] = [fc.constant(null), fc.constant(null), wrongKind];
    if (Array.isArray(resolved.enum)) {
      const first = String(resolved.enum[0]);
      options.push(fc.constantFrom(first.toUpperCase(), first.toLowerCase(), ` ${first}`, `${first}\u0000`));
    }
    switch (resolved.type) {
      case 'integer':
      case 'number': {
        const min = (resolved.minimum as number | undefined) ?? 0;
        const max = (resolved.maximum as number | undefined) ?? 2 ** 31;
        options.push(
          fc.constantFrom<JsonText>(min - 1, max + 1, min + 0.5, 2 ** 31 - 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, 1e308),
          fc.constantFrom(String(min), `${max}`, '1e400'),
          rawNumber,
          rawNumber,
        );
        break;
      }
      case 'string':
        options.push(oddString, oddString, fc.string({ maxLength: 12, unit: 'binary' }), rawNumber);
        if (typeof resolved.maxLength === 'number') options.push(fc.constant('y'.repeat(resolved.maxLength + 1)));
        if (typeof resolved.example === 'string' && /^\d+(\.\d+)?$/.test(resolved.example)) {
          options.push(fc.constantFrom(...DECIMALS), fc.constantFrom(...DECIMALS));
        }
        break;
      case 'array': {
        const max = (resolved.maxItems as number | undefined) ?? 64;
        const item = this.valid((resolved.items ?? {}) as Schema, seedName(name));
        options.push(fc.array(item, { minLength: max + 1, maxLength: max + 1 }), fc.constant<JsonText>([]));
        break;
      }
      case 'object':
      case undefined:
        // Free-form (metadata, payload, requirements) or not: what JSON cannot hold, anywhere in it.
        options.push(
          buriedNumber,
          buriedNumber,
          fc.dictionary(key, anyJson, { minKeys: 1, maxKeys: 3 }),
          fc.constant<JsonText>({ big: 'x'.repeat(17 * 1024) }),
        );
        break;
    }
    return fc.oneof(...options);
  }

  private resolve(schema: Schema): Schema {
    if (typeof schema.$ref === 'string') return this.resolve(this.components[schema.$ref.split('/').pop()!]);
    if (Array.isArray(schema.allOf) && schema.allOf.length === 1) return this.resolve(schema.allOf[0] as Schema);
    return schema;
  }
}

/** A query parameter's text for a generated value (raw numbers as written). */
function queryValue(value: JsonText): string {
  if (typeof value === 'string') return value;
  return jsonText(value);
}

/**
 * Percent-encoded UTF-8, as encodeURIComponent writes it, except that a lone surrogate (which
 * encodeURIComponent refuses) goes as the three bytes it would take (%ED%A0%80): not UTF-8.
 */
export function percentEncode(text: string): string {
  let out = '';
  for (const ch of text) {
    const unit = ch.charCodeAt(0);
    if (ch.length === 1 && unit >= 0xd800 && unit <= 0xdfff) {
      out += [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('');
    } else {
      out += encodeURIComponent(ch);
    }
  }
  return out;
}
