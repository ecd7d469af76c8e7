import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Roles } from '@tally/auth';
import { badCursor, decodeCursorText, encodeCursorText, InvalidRequestError, parseTimestamp } from '@tally/shared';
import { JobQueries } from '../queries/list-jobs/list-jobs.query';
import { ListJobsQueryDto } from './dto/jobs.request.dto';

@ApiTags('admin')
@Controller('admin')
export class AdminJobsController {
  constructor(private readonly queries: JobQueries) {}

  @Get('jobs')
  @Roles('admin')
  async list(@Query() q: ListJobsQueryDto) {
    const limit = Number(q.limit ?? 50);
    if (limit > 500) throw new InvalidRequestError('limit must be an integer from 1 to 500', { field: 'limit' });
    let before: { at: Date; id: string } | undefined;
    if (q.cursor !== undefined) {
      const [at, id] = decodeCursorText(q.cursor).split('|');
      const t = new Date(at);
      if (!id || !/^[0-9a-f-]{36}$/.test(id) || Number.isNaN(t.getTime())) {
        throw badCursor();
      }
      before = { at: t, id };
    }
    const rows = await this.queries.list({
      status: q.status,
      clientId: q.client_id,
      proverId: q.prover_id,
      from: parseTimestamp(q.from, 'from'),
      to: parseTimestamp(q.to, 'to'),
      before,
      limit,
    });
    const last = rows[rows.length - 1];
    return {
      items: rows,
      next_cursor:
        rows.length === limit
          ? encodeCursorText(`${new Date(last.submitted_at).toISOString()}|${last.network_job_id}`)
          : null,
    };
  }

  @Get('stats')
  @Roles('admin')
  stats() {
    return this.queries.stats();
  }
}
