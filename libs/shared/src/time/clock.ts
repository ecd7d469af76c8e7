import { InvalidRequestError } from '../errors';

/** Time source, injectable so tests can pin "now". */
export abstract class Clock {
  abstract now(): Date;
}

export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}

const DATE_PREFIX = /^(\d{4})-(\d{2})-(\d{2})/;
/** A date and time with no offset: Date would read it in the server's time zone. */
const NO_OFFSET = /[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/i;
/** A time whose "+hh:mm" offset arrived as " hh:mm": a "+" left unescaped in a query string decodes to a space. */
const DECODED_PLUS = /(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}(?::?\d{2})?)$/;

/**
 * An optional ISO 8601 timestamp from a query string; anything else is DSE-001 naming the
 * field. A day the month does not have (2026-02-30) is refused too: Date would roll it over
 * into the next month, and a query would silently ask about another moment. A positive
 * offset whose "+" became a space in the query string is read as the offset it was; a time
 * with no offset is UTC (as a date alone is), whatever the server's time zone.
 */
export function parseTimestamp(value: string | undefined, field: string): Date | undefined {
  if (value === undefined) return undefined;
  const zoned = value.replace(DECODED_PLUS, '$1+$2');
  const t = new Date(NO_OFFSET.test(zoned) ? `${zoned}Z` : zoned);
  const date = DATE_PREFIX.exec(value);
  if (!date || Number.isNaN(t.getTime()) || Number(date[3]) > daysInMonth(Number(date[1]), Number(date[2]))) {
    throw new InvalidRequestError(`${field} must be an ISO 8601 timestamp`, { field });
  }
  return t;
}

/** `month` 1–12; day 0 of the next month is this month's last (setUTCFullYear, since Date.UTC maps years 0–99 to 1900s). */
function daysInMonth(year: number, month: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month, 0);
  return d.getUTCDate();
}
