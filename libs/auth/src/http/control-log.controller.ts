import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { badCursor, decodeCursorText, encodeCursorText, pageLimit, parseTimestamp } from '@tally/shared';
import { Roles } from '../decorators/roles.decorator';
import { ListControlLogQuery } from '../queries/list-control-log/list-control-log.query';
import { ControlLogEntryDto, ControlLogPageDto, ListControlLogQueryDto } from './dto/control-log.dto';

@ApiTags('admin')
@Roles('admin')
@Controller('admin/control-log')
export class ControlLogController {
  constructor(private readonly queries: QueryBus) {}

  @Get()
  @ApiOperation({
    operationId: 'admin.controlLog',
    summary:
      'The control-action log (every admin and operator action that changes state), in chain order, by action, actor key, outcome or time; keyset pages (next_cursor)',
  })
  @ApiOkResponse({ type: ControlLogPageDto })
  async list(@Query() q: ListControlLogQueryDto): Promise<ControlLogPageDto> {
    const limit = pageLimit(q.limit);
    let afterSeq: string | undefined;
    if (q.cursor !== undefined) {
      const match = /^seq:(\d{1,18})$/.exec(decodeCursorText(q.cursor));
      if (!match) throw badCursor();
      afterSeq = match[1];
    }
    const rows = await this.queries.execute(
      new ListControlLogQuery({
        action: q.action,
        actorKeyId: q.actor_key_id,
        outcome: q.outcome,
        from: parseTimestamp(q.from, 'from'),
        to: parseTimestamp(q.to, 'to'),
        afterSeq,
        limit,
      }),
    );
    return {
      items: rows.map((row) => ControlLogEntryDto.from(row)),
      next_cursor: rows.length === limit ? encodeCursorText(`seq:${rows[rows.length - 1].seq}`) : null,
    };
  }
}
