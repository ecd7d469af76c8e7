import { Controller, Get } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '@tally/auth';
import { JobQueries } from '@tally/jobs';
import { LedgerQueries, VerifyRuns } from '@tally/ledger';
import { CountProversQuery } from '@tally/provers';
import { GetLastBatchQuery } from '@tally/settlement';
import { Clock } from '@tally/shared';
import { OverviewResponseDto } from './overview.response.dto';

const MINUTE_MS = 60_000;
const RATE_MINUTES = 60;

@ApiTags('admin')
@Controller('admin')
export class OverviewController {
  constructor(
    private readonly ledger: LedgerQueries,
    private readonly jobs: JobQueries,
    private readonly runs: VerifyRuns,
    private readonly queries: QueryBus,
    private readonly clock: Clock,
  ) {}

  @Get('overview')
  @Roles('admin')
  @ApiOperation({
    operationId: 'admin.overview',
    summary: 'Money, jobs, provers, the last hour of activity, the last batch and the last ledger verify',
  })
  @ApiOkResponse({ type: OverviewResponseDto })
  async overview() {
    const now = this.clock.now().getTime();
    const from = new Date(now - (now % MINUTE_MS) - (RATE_MINUTES - 1) * MINUTE_MS);
    const [stats, liabilities, provers, transfers, lifecycles, lastBatch, lastVerify] = await Promise.all([
      this.jobs.stats(),
      this.ledger.balancesByKind(),
      this.queries.execute(new CountProversQuery()),
      this.ledger.transfersPerMinute(from),
      this.jobs.lifecyclesPerMinute(from),
      this.queries.execute(new GetLastBatchQuery()),
      this.runs.latest(),
    ]);
    const rates = Array.from({ length: RATE_MINUTES }, (_, i) => {
      const minute = new Date(from.getTime() + i * MINUTE_MS).toISOString();
      return { minute, transfers: transfers.get(minute) ?? 0, lifecycles: lifecycles.get(minute) ?? 0 };
    });
    return {
      // The money totals as the admin stats read them (the ledger's totals).
      total_supply_micros: stats.total_supply_micros,
      escrow_micros: stats.escrow_micros,
      platform_revenue_micros: stats.platform_balance_micros,
      liabilities_by_kind: liabilities,
      jobs_by_status: stats.jobs_by_status,
      provers_by_state: { online: provers.active, draining: provers.draining, offline: provers.offline },
      rates,
      last_batch: lastBatch && {
        ...lastBatch.batch,
        n: lastBatch.batch.batch_no,
        sealed_at: lastBatch.batch.created_at,
        sinks: lastBatch.sinks.map((s) => ({ ...s, delivered_at: s.delivered_at?.toISOString() ?? null })),
      },
      last_verify: lastVerify,
    };
  }
}
