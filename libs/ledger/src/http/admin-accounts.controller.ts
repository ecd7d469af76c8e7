import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '@tally/auth';
import { badCursor, decodeCursorText, encodeCursorText, InvalidRequestError, pageLimit } from '@tally/shared';
import { ACCOUNT_KIND_SYNONYMS, accountRef, AccountRef } from '../domain';
import { LedgerReader } from '../persistence/ledger-reader';
import { SearchAccountsQueryDto } from './dto/credits.request.dto';
import { AccountPageResponseDto } from './dto/credits.response.dto';
import { presentAccount } from './transfer.presenter';

@ApiTags('admin')
@Controller('admin')
export class AdminAccountsController {
  constructor(private readonly reader: LedgerReader) {}

  @Get('accounts')
  @Roles('admin')
  @ApiOperation({
    operationId: 'admin.searchAccounts',
    summary: 'Accounts by type and id prefix, ordered by type then id, with their balances; keyset pages',
  })
  @ApiOkResponse({ type: AccountPageResponseDto })
  async search(@Query() q: SearchAccountsQueryDto) {
    const limit = pageLimit(q.limit);
    // A synonym (prover) names its kind (provider).
    const kind = q.account_type && (ACCOUNT_KIND_SYNONYMS[q.account_type] ?? q.account_type);
    const rows = await this.reader.searchAccounts({
      kind,
      prefix: q.id_prefix,
      after: q.cursor === undefined ? undefined : accountOfCursor(q.cursor),
      limit,
    });
    const last = rows[rows.length - 1];
    return {
      items: rows.map(presentAccount),
      next_cursor: rows.length === limit ? encodeCursorText(`${last.kind}/${last.owner}`) : null,
    };
  }
}

/** The account a cursor names (`kind/owner`, as next_cursor encodes it); anything else is DSE-001. */
function accountOfCursor(cursor: string): AccountRef {
  const text = decodeCursorText(cursor);
  const slash = text.indexOf('/');
  try {
    const ref = accountRef(text.slice(0, slash), text.slice(slash + 1));
    if (slash < 0 || ref.kind !== text.slice(0, slash)) throw badCursor();
    return ref;
  } catch (error) {
    if (error instanceof InvalidRequestError) throw badCursor();
    throw error;
  }
}
