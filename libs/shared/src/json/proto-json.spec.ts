import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import {
  doubleToJson,
  enumToJson,
  INT64_MAX,
  INT64_MIN,
  Int64Field,
  int64Problem,
  int64ToJson,
  nullableInt64ToJson,
  nullableTimestampToJson,
  parseInt64,
  timestampToJson,
} from './proto-json';

describe('int64 on the way in: a decimal string or a JSON integer', () => {
  it.each([
    ['123', 123n],
    [123, 123n],
    ['0', 0n],
    [-5, -5n],
    ['-9223372036854775808', INT64_MIN],
    ['9223372036854775807', INT64_MAX],
    [Number.MAX_SAFE_INTEGER, 9007199254740991n],
  ])('reads %p as %p', (value, expected) => {
    expect(parseInt64(value, 'n')).toBe(expected);
  });

  it.each([
    [1.5, 'must be an int64'],
    ['1.5', 'must be an int64'],
    ['1e3', 'must be an int64'],
    [' 1', 'must be an int64'],
    ['01', 'must be an int64'],
    ['+1', 'must be an int64'],
    ['', 'must be an int64'],
    ['0x10', 'must be an int64'],
    [null, 'must be an int64'],
    [true, 'must be an int64'],
    [[1], 'must be an int64'],
    [Number.NaN, 'must be an int64'],
    [Infinity, 'must be an int64'],
    ['9223372036854775808', 'beyond the int64 range'],
    ['-9223372036854775809', 'beyond the int64 range'],
    ['99999999999999999999', 'must be an int64'], // 20 digits: no int64 has them
    [2 ** 63, 'beyond the int64 range'],
    [1e308, 'beyond the int64 range'],
    [2 ** 53 + 2, 'beyond 2^53 as a JSON number'],
  ])('refuses %p (%s), naming the field', (value, problem) => {
    expect(int64Problem(value)).toContain(problem);
    expect(() => parseInt64(value, 'max_cost_micros')).toThrow(
      expect.objectContaining({ code: 'DSE-001', details: { field: 'max_cost_micros' } }),
    );
  });

  it('checks a range beyond int64 when asked', () => {
    expect(parseInt64('5', 'v', { min: 0n, max: 5n })).toBe(5n);
    expect(() => parseInt64('6', 'v', { min: 0n, max: 5n })).toThrow('v must be at most 5');
    expect(() => parseInt64(-1, 'v', { min: 0n })).toThrow('v must be at least 0');
  });

  class Dto {
    @Int64Field()
    n: string;
  }
  const validate = (n: unknown) => {
    const dto = plainToInstance(Dto, { n });
    return { value: dto.n, errors: validateSync(dto).flatMap((e) => Object.values(e.constraints ?? {})) };
  };

  it('Int64Field hands the controller the decimal string of a string or a JSON integer', () => {
    expect(validate(123)).toEqual({ value: '123', errors: [] });
    expect(validate('123')).toEqual({ value: '123', errors: [] });
    expect(validate('9223372036854775807')).toEqual({ value: '9223372036854775807', errors: [] });
  });

  it.each([1.5, '1e3', '9223372036854775808', 2 ** 60, 'abc', null])('Int64Field refuses %p', (n) => {
    expect(validate(n).errors).toEqual([expect.stringMatching(/^n (must be an int64|is beyond)/)]);
  });
});

describe('the forms on the way out', () => {
  it('int64: a decimal string, exact beyond 2^53', () => {
    expect(int64ToJson(9223372036854775807n)).toBe('9223372036854775807');
    expect(int64ToJson('9007199254740993')).toBe('9007199254740993');
    expect(int64ToJson(7)).toBe('7');
    expect(nullableInt64ToJson(null)).toBeNull();
    expect(() => int64ToJson(1.5)).toThrow(TypeError);
    expect(() => int64ToJson(INT64_MAX + 1n)).toThrow(TypeError);
  });

  it('double: a JSON number, from an exact decimal', () => {
    expect(doubleToJson('93.2')).toBe(93.2);
    expect(doubleToJson('57.195000')).toBe(57.195);
    expect(doubleToJson(0.25)).toBe(0.25);
    expect(JSON.stringify({ score_value: doubleToJson('50') })).toBe('{"score_value":50}');
    expect(() => doubleToJson('x')).toThrow(TypeError);
    expect(() => doubleToJson('')).toThrow(TypeError);
  });

  it('Timestamp: RFC 3339 in UTC, whatever it was held as', () => {
    expect(timestampToJson(new Date(Date.UTC(2025, 11, 28, 3, 50)))).toBe('2025-12-28T03:50:00.000Z');
    expect(timestampToJson('2025-12-28T05:50:00+02:00')).toBe('2025-12-28T03:50:00.000Z');
    expect(timestampToJson(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(nullableTimestampToJson(null)).toBeNull();
    expect(() => timestampToJson('yesterday')).toThrow(TypeError);
  });

  it('enum: its name, one of the enum names', () => {
    const names = ['LOW', 'NORMAL', 'HIGH'] as const;
    expect(enumToJson(names, 'HIGH')).toBe('HIGH');
    expect(() => enumToJson(names, 'URGENT')).toThrow(TypeError);
  });
});
