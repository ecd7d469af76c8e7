import fc from 'fast-check';
import { fromMicros, toMicros } from './money';

describe('micros ↔ decimal credits (bigint, never a JS number)', () => {
  it('converts both ways exactly', () => {
    expect(toMicros('1.5')).toBe(1_500_000n);
    expect(fromMicros(1_500_000n)).toBe('1.5');
    expect(toMicros('0')).toBe(0n);
    expect(toMicros('0.000001')).toBe(1n);
    expect(toMicros('-2.25')).toBe(-2_250_000n);
    expect(fromMicros(-1n)).toBe('-0.000001');
    expect(toMicros('9223372036854.775807')).toBe(9_223_372_036_854_775_807n);
    expect(fromMicros(9_223_372_036_854_775_807n)).toBe('9223372036854.775807');
    expect(toMicros('12.500000')).toBe(12_500_000n);
  });

  it('refuses more than 6 decimal places and anything that is not a decimal', () => {
    expect(() => toMicros('1.0000001')).toThrow(RangeError);
    for (const bad of ['', '1.', '.5', '01', '1e3', ' 1', '1,5', '+1', 'NaN', '0x10']) {
      expect(() => toMicros(bad)).toThrow(RangeError);
    }
  });

  it('round-trips any micros amount', () => {
    fc.assert(fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (m) => toMicros(fromMicros(m)) === m));
  });
});
