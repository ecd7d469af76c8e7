import { badCursor, decodeCursorText, encodeCursorText, UUID_PATTERN } from '@tally/shared';

/** A page cursor of rows newest first (holds, payouts): the last row's created_at (to the microsecond, as stored) and id. */
const TIME_ID_CURSOR = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\.(\d{6})Z\|([0-9a-f-]{36})$/;

export function decodeTimeIdCursor(cursor: string): { at: string; id: string } {
  const match = TIME_ID_CURSOR.exec(decodeCursorText(cursor));
  // Exactly what next_cursor encodes: an instant Postgres takes (no year 0, no 30 February) and a UUID.
  const at = new Date(`${match?.[1]}.000Z`);
  if (
    !match ||
    Number.isNaN(at.getTime()) ||
    at.toISOString() !== `${match[1]}.000Z` ||
    at.getUTCFullYear() < 1 ||
    !UUID_PATTERN.test(match[3])
  ) {
    throw badCursor();
  }
  return { at: `${match[1]}.${match[2]}Z`, id: match[3] };
}

/** The cursor after a row (its created_at as stored, to the microsecond, and its id). */
export const encodeTimeIdCursor = (row: { cursorAt: string; id: string }): string =>
  encodeCursorText(`${row.cursorAt}|${row.id}`);
