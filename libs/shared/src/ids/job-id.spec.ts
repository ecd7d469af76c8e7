import fc from 'fast-check';
import { DomainError, ErrorCode } from '../errors';
import { jobIdOf, parseJobId } from './job-id';

const INT64_MAX = 2n ** 63n - 1n;

describe('network job ids', () => {
  it('takes every positive int64 as its decimal string, and gives it back unchanged', () => {
    fc.assert(fc.property(fc.bigInt({ min: 1n, max: INT64_MAX }), (n) => jobIdOf(n.toString()) === n.toString()));
    expect(parseJobId('9223372036854775807')).toBe('9223372036854775807');
  });

  it('takes a JSON number only while it is a safe integer (beyond 2^53 digits are already lost)', () => {
    expect(jobIdOf(12345)).toBe('12345');
    expect(jobIdOf(Number.MAX_SAFE_INTEGER)).toBe('9007199254740991');
    expect(jobIdOf(2 ** 53)).toBeNull();
    expect(jobIdOf(Number('9007199254740993'))).toBeNull(); // read as 2^53 by JSON.parse
  });

  it('refuses zero, negatives, leading zeros, fractions, exponents, other bases, past int64, and non-strings with DSE-001', () => {
    const bad = ['0', '-1', '01', '1.5', '1e3', '0x10', ' 1', '1 ', '', '9223372036854775808', '1'.repeat(20)];
    for (const value of [...bad, 0, -1, 1.5, null, undefined, {}, [], true, 1n]) {
      expect(jobIdOf(value)).toBeNull();
      try {
        parseJobId(value);
        throw new Error(`${String(value)} was taken`);
      } catch (e) {
        expect(e).toBeInstanceOf(DomainError);
        expect((e as DomainError).code).toBe(ErrorCode.InvalidRequest);
        expect((e as DomainError).details).toEqual({ field: 'network_job_id' });
      }
    }
  });
});
