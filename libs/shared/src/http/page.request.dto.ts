import { ApiPropertyOptional } from '@nestjs/swagger';
import { Matches, MaxLength } from 'class-validator';
import { InvalidRequestError } from '../errors';
import { IfPresent } from './if-present';

export const PAGE_LIMIT_DEFAULT = 50;
export const PAGE_LIMIT_MAX = 500;
const LIMIT_MESSAGE = `limit must be an integer from 1 to ${PAGE_LIMIT_MAX}`;
const LIMIT_DIGITS = /^[1-9]\d{0,2}$/;

/** The paging parameters of a keyset-paged listing; its filters extend this. */
export class PageQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: PAGE_LIMIT_MAX, default: PAGE_LIMIT_DEFAULT })
  @IfPresent()
  @Matches(LIMIT_DIGITS, { message: LIMIT_MESSAGE })
  limit?: string;

  @ApiPropertyOptional({ description: 'next_cursor of the previous page' })
  @IfPresent()
  @MaxLength(200)
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'cursor is not one this API returned' })
  cursor?: string;
}

/** The page size a `limit` query parameter asks for (absent: the default); anything else is DSE-001. */
export function pageLimit(limitText: string | undefined): number {
  if (limitText === undefined) return PAGE_LIMIT_DEFAULT;
  const limit = LIMIT_DIGITS.test(limitText) ? Number(limitText) : NaN;
  if (!(limit <= PAGE_LIMIT_MAX)) throw new InvalidRequestError(LIMIT_MESSAGE, { field: 'limit' });
  return limit;
}
