import { fromStruct, fromTimestamp, fromValue, toStruct, toTimestamp, toValue, withoutUnset } from './proto-values';

describe('google.protobuf Value, Struct and Timestamp as proto-loader objects', () => {
  /** What proto-loader hands a handler: each Value names its kind (oneofs: true). */
  const decoded = (value: ReturnType<typeof toValue>): ReturnType<typeof toValue> => {
    const [kind] = Object.keys(value);
    const inner = value[kind as keyof typeof value];
    if (kind === 'structValue') {
      const fields = (inner as { fields: Record<string, ReturnType<typeof toValue>> }).fields;
      return {
        kind,
        structValue: { fields: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, decoded(v)])) },
      };
    }
    if (kind === 'listValue') return { kind, listValue: { values: (inner as { values: [] }).values.map(decoded) } };
    return { ...value, kind };
  };

  it('JSON round-trips through Value and Struct', () => {
    const json = { a: 1.5, b: 'x', c: true, d: null, e: [1, 'two', { f: [] }], g: {} };
    expect(fromValue(decoded(toValue(json)))).toEqual(json);
    expect(fromStruct(decoded({ structValue: toStruct(json) }).structValue)).toEqual(json);
  });

  it('a Value never set is a field left out', () => {
    expect(fromValue(null)).toBeUndefined();
    expect(fromValue({})).toBeUndefined();
    expect(fromStruct(null)).toBeUndefined();
  });

  it('timestamps keep their milliseconds, before and after 1970', () => {
    for (const iso of ['2025-12-28T03:50:00.123Z', '1969-12-31T23:59:59.999Z']) {
      const at = toTimestamp(new Date(iso));
      expect(at!.nanos).toBeGreaterThanOrEqual(0);
      expect(fromTimestamp(at)!.toISOString()).toBe(iso);
    }
    expect(toTimestamp(null)).toBeNull();
  });

  it("drops unset fields and proto-loader's oneof bookkeeping", () => {
    expect(withoutUnset({ a: 1, b: null, c: undefined, _d: 'd', d: 0 })).toEqual({ a: 1, d: 0 });
  });
});
