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

/** An optional ISO 8601 timestamp from a query string; anything else is DSE-001 naming the field. */
export function parseTimestamp(value: string | undefined, field: string): Date | undefined {
  if (value === undefined) return undefined;
  const t = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(t.getTime())) {
    throw new InvalidRequestError(`${field} must be an ISO 8601 timestamp`, { field });
  }
  return t;
}
