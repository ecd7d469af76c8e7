import { compileJsonSchema, SERVICE_CATEGORIES, schemaErrors, unitsOf } from '../domain';
import { SEEDED_SERVICES, seededSpecs } from './seed-services';

describe('seeded services', () => {
  const specs = seededSpecs(); // each checked as a PUT would be: prices, unit, requirements, schemas, example

  it('are at least 30, with unique ids, in every one of the 6 categories', () => {
    expect(specs.length).toBeGreaterThanOrEqual(30);
    expect(new Set(specs.map((s) => s.id)).size).toBe(specs.length);
    for (const category of SERVICE_CATEGORIES) {
      expect(specs.filter((s) => s.category === category).length).toBeGreaterThanOrEqual(4);
    }
  });

  it.each(SEEDED_SERVICES.map((s) => [s.id, s] as const))(
    '%s: both schemas compile and its example validates against its input schema',
    (_id, service) => {
      expect(() => compileJsonSchema(service.input_schema, 'input_schema')).not.toThrow();
      expect(() => compileJsonSchema(service.result_schema, 'result_schema')).not.toThrow();
      expect(service.example).toEqual(expect.any(Object));
      expect(schemaErrors(service.input_schema, 'input_schema', service.example)).toBeNull();
      // A schema is a real constraint: an empty input is refused (every service has required fields).
      expect(schemaErrors(service.input_schema, 'input_schema', {})).not.toBeNull();
    },
  );

  it('every one has a typed endpoint: a units rule that gives its example a positive number of units', () => {
    for (const s of specs) {
      expect(s.unitsRule).not.toBeNull();
      expect(Number(unitsOf(s.unitsRule!, s.example))).toBeGreaterThan(0);
      // The typed route is the id split at its last hyphen: every seeded id has one.
      expect(s.id).toMatch(/^[a-z0-9._-]+-[a-z0-9_]+$/);
    }
  });

  it('prices are plausible: above zero and a minimum charge of at most 2 credits', () => {
    for (const s of specs) {
      expect(s.pricePerUnitMicros).toBeGreaterThan(0n);
      expect(s.minimumChargeMicros).toBeLessThanOrEqual(2_000_000n);
    }
  });
});

describe('compileJsonSchema', () => {
  it('refuses a schema that does not compile with DSE-001 naming the field', () => {
    expect(() => compileJsonSchema({ type: 'nonsense' }, 'input_schema')).toThrow(
      expect.objectContaining({ code: 'DSE-001', details: { field: 'input_schema' } }),
    );
    expect(() => compileJsonSchema({ type: 'object', propertiez: {} }, 'result_schema')).toThrow(
      expect.objectContaining({ details: { field: 'result_schema' } }),
    );
  });

  it('caches a compiled schema by its content', () => {
    const schema = { type: 'object', properties: { n: { type: 'integer' } } };
    expect(compileJsonSchema(schema, 'input_schema')).toBe(compileJsonSchema({ ...schema }, 'input_schema'));
  });
});
