import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '@tally/auth';
import { badCursor, decodeCursorText, encodeCursorText, jobIdOf, pageLimit, parseTimestamp } from '@tally/shared';
import { JobQueries } from '../queries/list-jobs/list-jobs.query';
import { ListJobsQueryDto } from './dto/jobs.request.dto';
import { JobPageResponseDto, JobStatsResponseDto } from './dto/jobs.response.dto';

/** A page cursor's text: the last job's submitted_at (years 0001–9999: Postgres has no year 0) and id. */
const CURSOR = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\|(.+)$/;

@ApiTags('admin')
@Controller('admin')
export class AdminJobsController {
  constructor(private readonly queries: JobQueries) {}

  @Get('jobs')
  @Roles('admin')
  @ApiOperation({ operationId: 'admin.listJobs', summary: 'Every job, newest first, with filters and a keyset cursor' })
  @ApiOkResponse({ type: JobPageResponseDto })
  async list(@Query() q: ListJobsQueryDto) {
    const limit = pageLimit(q.limit);
    let before: { at: Date; id: string } | undefined;
    if (q.cursor !== undefined) {
      // Exactly what next_cursor encodes: an ISO instant (as toISOString writes it) and a job id.
      const match = CURSOR.exec(decodeCursorText(q.cursor));
      const at = new Date(match?.[1] ?? NaN);
      if (
        !match ||
        Number.isNaN(at.getTime()) ||
        at.toISOString() !== match[1] ||
        at.getUTCFullYear() < 1 ||
        jobIdOf(match[2]) === null
      ) {
        throw badCursor();
      }
      before = { at, id: match[2] };
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
  @ApiOperation({ operationId: 'admin.stats', summary: 'Jobs by status, and the escrow, supply and platform totals' })
  @ApiOkResponse({ type: JobStatsResponseDto })
  stats() {
    return this.queries.stats();
  }
}
