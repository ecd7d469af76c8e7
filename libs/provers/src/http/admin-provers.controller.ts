import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '@tally/auth';
import { badCursor, Clock, decodeCursorText, encodeCursorText, pageLimit, TallyEnv } from '@tally/shared';
import { ListProversQuery } from '../queries/list-provers/list-provers.query';
import { ListProversQueryDto, PROVER_ID } from './dto/provers.request.dto';
import { ProverPageResponseDto } from './dto/provers.response.dto';
import { presentProver } from './prover.presenter';

@ApiTags('admin')
@Controller('admin')
export class AdminProversController {
  constructor(
    private readonly queries: QueryBus,
    private readonly env: TallyEnv,
    private readonly clock: Clock,
  ) {}

  @Get('provers')
  @Roles('admin')
  @ApiOkResponse({ type: ProverPageResponseDto })
  @ApiOperation({
    operationId: 'admin.listProvers',
    summary: 'Provers by id, filtered by state and region; keyset pages (next_cursor)',
  })
  async list(@Query() q: ListProversQueryDto) {
    const limit = pageLimit(q.limit);
    let after: string | undefined;
    if (q.cursor !== undefined) {
      after = decodeCursorText(q.cursor);
      if (!PROVER_ID.test(after)) throw badCursor();
    }
    const rows = await this.queries.execute(new ListProversQuery({ state: q.state, region: q.region, after, limit }));
    const now = this.clock.now();
    const settings = {
      livenessTtlMs: this.env.PROVER_LIVENESS_TTL_MS,
      decayHalfLifeMs: this.env.SCORE_DECAY_HALF_LIFE_MS,
      idleAfterMs: this.env.SCORE_IDLE_AFTER_MS,
    };
    return {
      items: rows.map((p) => presentProver(p, now, settings)),
      next_cursor: rows.length === limit ? encodeCursorText(rows[rows.length - 1].prover_id) : null,
    };
  }
}
