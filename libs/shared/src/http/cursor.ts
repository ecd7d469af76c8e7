import { InvalidRequestError } from '../errors';

/** A page cursor as the API hands it out: its text, base64url-encoded. */
export function encodeCursorText(text: string): string {
  return Buffer.from(text).toString('base64url');
}

/**
 * The text of a cursor the API handed out; anything else is DSE-001. The decoding is
 * checked both ways, because base64url decoding skips characters that do not belong.
 */
export function decodeCursorText(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString();
  if (encodeCursorText(text) !== cursor) throw badCursor();
  return text;
}

export const badCursor = () => new InvalidRequestError('cursor is not one this API returned', { field: 'cursor' });
