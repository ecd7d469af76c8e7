import { DomainError, ErrorCode } from '@tally/shared';
import { bodyFieldErrors, MAX_FIELD_ERRORS } from './json-schemas';
import { parseUnitsRule, unitsOf } from './units-rule';

const schema = {
  type: 'object',
  properties: {
    n: { type: 'integer', minimum: 0 },
    seconds: { type: 'number' },
    start: { type: 'integer' },
    end: { type: 'integer' },
    images: { type: 'integer' },
    texts: { type: 'array', items: { type: 'string' } },
    name: { type: 'string' },
    nested: { type: 'object', properties: { 'a/b': { type: 'integer' } }, required: ['a/b'] },
  },
  required: ['n', 'seconds', 'start', 'end', 'texts', 'nested'],
};

function refusal(fn: () => unknown): { code?: string; field?: unknown } {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return { code: e.code, field: e.details?.field };
    throw e;
  }
  return {};
}

describe('units rules', () => {
  const body = { n: 3, seconds: 1.25, start: 10, end: 19, texts: ['a', 'b'], nested: { 'a/b': 7 } };

  it('multiplies pointers, defaults, spans and counts by the scale, exactly', () => {
    const rule = parseUnitsRule({ multiply: ['/n', '/seconds'], scale: '0.1' }, schema)!;
    expect(unitsOf(rule, body)).toBe('0.375');
    const all = parseUnitsRule(
      {
        multiply: [
          { pointer: '/images', default: 2 },
          { span: ['/start', '/end'] },
          { count: '/texts' },
          '/nested/a~1b',
        ],
      },
      schema,
    )!;
    expect(all.scale).toBe('1');
    expect(unitsOf(all, body)).toBe(String(2 * 10 * 2 * 7));
    expect(unitsOf(all, { ...body, images: 3 })).toBe(String(3 * 10 * 2 * 7));
    // No factors: one unit (times the scale).
    expect(unitsOf(parseUnitsRule({ multiply: [], scale: '2.5' }, schema)!, body)).toBe('2.5');
  });

  it('rounds up to a millionth of a unit, never down', () => {
    const rule = parseUnitsRule({ multiply: ['/n'], scale: '0.0000001' }, schema)!;
    expect(unitsOf(rule, { ...body, n: 1 })).toBe('0.000001');
    expect(unitsOf(rule, { ...body, n: 11 })).toBe('0.000002');
  });

  it('refuses zero units and a span that runs backwards with DSE-001 naming the field', () => {
    const rule = parseUnitsRule({ multiply: ['/n'] }, schema)!;
    expect(refusal(() => unitsOf(rule, { ...body, n: 0 }))).toEqual({ code: ErrorCode.InvalidRequest, field: '/n' });
    const span = parseUnitsRule({ multiply: [{ span: ['/start', '/end'] }] }, schema)!;
    expect(refusal(() => unitsOf(span, { ...body, start: 5, end: 3 }))).toEqual({
      code: ErrorCode.InvalidRequest,
      field: '/end',
    });
  });

  it('refuses at load a rule that names what the schema does not declare, require or type as a number', () => {
    const cases: [unknown, string][] = [
      ['not an object', 'units_rule'],
      [{ multiply: ['/n'], extra: 1 }, 'units_rule.extra'],
      [{ multiply: '/n' }, 'units_rule.multiply'],
      [{ multiply: ['/n'], scale: '0' }, 'units_rule.scale'],
      [{ multiply: ['/n'], scale: 1 }, 'units_rule.scale'],
      [{ multiply: ['n'] }, 'units_rule.multiply[0]'],
      [{ multiply: ['/missing'] }, 'units_rule.multiply[0]'],
      [{ multiply: ['/name'] }, 'units_rule.multiply[0]'],
      [{ multiply: ['/images'] }, 'units_rule.multiply[0]'], // optional without a default
      [{ multiply: [{ pointer: '/images', default: 0 }] }, 'units_rule.multiply[0]'],
      [{ multiply: [{ span: ['/start'] }] }, 'units_rule.multiply[0]'],
      [{ multiply: [{ span: ['/start', '/seconds'] }] }, 'units_rule.multiply[0].span[1]'],
      [{ multiply: [{ count: '/n' }] }, 'units_rule.multiply[0].count'],
      [{ multiply: [{ other: '/n' }] }, 'units_rule.multiply[0]'],
      [{ multiply: Array(9).fill('/n') }, 'units_rule.multiply'],
    ];
    for (const [rule, field] of cases) {
      expect({ rule, ...refusal(() => parseUnitsRule(rule, schema)) }).toEqual({
        rule,
        code: ErrorCode.InvalidRequest,
        field,
      });
    }
    expect(parseUnitsRule(undefined, schema)).toBeNull();
  });
});

describe('bodyFieldErrors', () => {
  it('points at the missing or unknown property itself, and keeps at most MAX_FIELD_ERRORS', () => {
    const strict = { ...schema, additionalProperties: false };
    expect(
      bodyFieldErrors(strict, 'input_schema', { ...{ n: 1, seconds: 1, start: 1, end: 1 }, texts: [], x: 1 }),
    ).toEqual([
      { field: '/nested', message: "must have required property 'nested'" },
      { field: '/x', message: 'is not a field of this service' },
    ]);
    const many = { type: 'array', items: { type: 'integer' } } as Record<string, unknown>;
    const errors = bodyFieldErrors(many, 'input_schema', Array(100).fill('x'))!;
    expect(errors).toHaveLength(MAX_FIELD_ERRORS);
    expect(errors[0]).toEqual({ field: '/0', message: 'must be integer' });
    expect(bodyFieldErrors(strict, 'input_schema', body0())).toBeNull();
  });
});

function body0() {
  return { n: 1, seconds: 1, start: 1, end: 1, texts: [], nested: { 'a/b': 1 } };
}
