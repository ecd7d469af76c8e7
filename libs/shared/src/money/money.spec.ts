import fc from 'fast-check';
import { DomainError, ErrorCode } from '../errors';
import { INT64_MAX } from '../json';
import { formatMicros, parseAmount, parseMicros } from './money';

const positiveMicros = fc.bigInt({ min: 1n, max: INT64_MAX });

describe('money', () => {
  it('formats then parses back to the same micros, for every positive int64', () => {
    fc.assert(fc.property(positiveMicros, (m) => parseAmount(formatMicros(m)) === m));
  });

  it('parses then formats back to the canonical string', () => {
    const canonical = fc
      .tuple(fc.bigInt({ min: 0n, max: 9_223_372_036_853n }), fc.integer({ min: 0, max: 999_999 }))
      .filter(([w, f]) => w > 0n || f > 0)
      .map(([w, f]) => (f === 0 ? `${w}` : `${w}.${String(f).padStart(6, '0').replace(/0+$/, '')}`));
    fc.assert(fc.property(canonical, (s) => formatMicros(parseAmount(s)) === s));
  });

  it('is exact where floating point is not', () => {
    expect(parseAmount('0.1') + parseAmount('0.2')).toBe(parseAmount('0.3'));
    expect(formatMicros(parseAmount('9223372036854.775807'))).toBe('9223372036854.775807');
    expect(formatMicros(-1n)).toBe('-0.000001');
    expect(formatMicros(0n)).toBe('0');
  });

  it('rejects anything with more than 6 fractional digits', () => {
    fc.assert(
      fc.property(fc.nat(), fc.stringMatching(/^\d{7,12}$/), (w, f) => rejects(() => parseAmount(`${w}.${f}`))),
    );
  });

  it('rejects zero, negatives, non-numbers and values beyond int64', () => {
    for (const bad of [
      '0',
      '0.000000',
      '-1',
      '1e6',
      ' 1',
      '1 ',
      '+1',
      '.5',
      '5.',
      '0x10',
      '',
      'NaN',
      '9223372036854.775808',
    ]) {
      expect(rejects(() => parseAmount(bad))).toBe(true);
    }
    for (const bad of [5, null, undefined, {}, [1]]) expect(rejects(() => parseAmount(bad))).toBe(true);
    fc.assert(
      fc.property(fc.bigInt({ min: INT64_MAX + 1n, max: INT64_MAX * 4n }), (m) =>
        rejects(() => parseMicros(m.toString())),
      ),
    );
  });

  it('takes *_micros as safe JSON integers or digit strings only', () => {
    expect(parseMicros(1500)).toBe(1500n);
    expect(parseMicros('9223372036854775807')).toBe(INT64_MAX);
    for (const bad of [0, -1, 1.5, 2 ** 53, '1.0', '-5', '', 'abc']) expect(rejects(() => parseMicros(bad))).toBe(true);
  });
});

function rejects(fn: () => unknown): boolean {
  try {
    fn();
    return false;
  } catch (e) {
    return e instanceof DomainError && e.code === ErrorCode.InvalidRequest;
  }
}
