import { InvalidRequestError } from '../errors';
import { parseTimestamp } from './clock';

describe('parseTimestamp', () => {
  it('reads ISO 8601 dates and timestamps, offsets included', () => {
    expect(parseTimestamp('2026-02-28', 'as_of')?.toISOString()).toBe('2026-02-28T00:00:00.000Z');
    expect(parseTimestamp('2028-02-29T12:30:00Z', 'as_of')?.toISOString()).toBe('2028-02-29T12:30:00.000Z');
    expect(parseTimestamp('2026-03-01T01:00:00+02:00', 'as_of')?.toISOString()).toBe('2026-02-28T23:00:00.000Z');
    expect(parseTimestamp('2026-12-31T23:59:59.999Z', 'as_of')?.toISOString()).toBe('2026-12-31T23:59:59.999Z');
    // The same offset with its "+" decoded to a space, as an unescaped query string delivers it.
    expect(parseTimestamp('2026-03-01T01:00:00 02:00', 'as_of')?.toISOString()).toBe('2026-02-28T23:00:00.000Z');
    expect(parseTimestamp('2026-12-02T16:04:10.5 05:30', 'as_of')?.toISOString()).toBe('2026-12-02T10:34:10.500Z');
    expect(parseTimestamp(undefined, 'as_of')).toBeUndefined();
  });

  it('reads a time with no offset as UTC, as a date alone, whatever zone the server runs in', () => {
    // jest.config.js runs the suite in a zone 5:30 from UTC, so a local reading would show.
    expect(new Date(2026, 2, 1).getTimezoneOffset()).not.toBe(0);
    expect(parseTimestamp('2026-03-01T02:00', 'as_of')?.toISOString()).toBe('2026-03-01T02:00:00.000Z');
    expect(parseTimestamp('2026-03-01 02:00:00.25', 'as_of')?.toISOString()).toBe('2026-03-01T02:00:00.250Z');
    expect(parseTimestamp('2026-03-01', 'as_of')?.toISOString()).toBe('2026-03-01T00:00:00.000Z');
  });

  it.each([
    '2026-02-30',
    '2026-02-29T00:00:00Z',
    '2100-02-29',
    '2026-04-31T10:00:00Z',
    '2026-13-01',
    '2026-00-10',
    'yesterday',
    '1700000000',
    '2026-03-01T01:00:00 2',
    '',
  ])('refuses %p with DSE-001 naming the field', (value) => {
    let error: unknown;
    try {
      parseTimestamp(value, 'as_of');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as InvalidRequestError).message).toBe('as_of must be an ISO 8601 timestamp');
  });
});
