import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ControlLog, controlActor, CurrentPrincipal, Principal, Roles } from '@tally/auth';
import { NoFieldsRequestDto } from '@tally/shared';
import { ReconcileFallbackCommand } from '../commands/reconcile-fallback/reconcile-fallback.command';
import { GetFallbackConsistencyQuery } from '../queries/fallback-consistency/get-fallback-consistency.query';
import { ListFallbackPendingQuery } from '../queries/fallback-pending/list-fallback-pending.query';
import { GetFallbackStatusQuery } from '../queries/fallback-status/get-fallback-status.query';
import {
  FallbackConsistencyResponseDto,
  FallbackPendingResponseDto,
  FallbackStatusResponseDto,
  ReconcileResponseDto,
} from './dto/fallback.response.dto';

/** The settlement sink chain's failover, for operators: its state, what waits, a reconcile, a consistency check. */
@ApiTags('settlement')
@Controller('settlement/fallback')
export class FallbackController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly controlLog: ControlLog,
  ) {}

  @Get('status')
  @Roles('admin')
  @ApiOkResponse({ type: FallbackStatusResponseDto })
  @ApiOperation({
    operationId: 'settlement.fallbackStatus',
    summary:
      "The sink chain's state (healthy, warning, degraded, emergency, recovering), the fallback in use, each sink's health",
  })
  status() {
    return this.queries.execute(new GetFallbackStatusQuery());
  }

  @Get('pending')
  @Roles('admin')
  @ApiOkResponse({ type: FallbackPendingResponseDto })
  @ApiOperation({
    operationId: 'settlement.fallbackPending',
    summary: 'The batches the primary sink lacks, oldest first (at most 1000), with the fallbacks that hold each',
  })
  pending() {
    return this.queries.execute(new ListFallbackPendingQuery());
  }

  @Get('consistency')
  @Roles('admin')
  @ApiOkResponse({ type: FallbackConsistencyResponseDto })
  @ApiOperation({
    operationId: 'settlement.fallbackConsistency',
    summary: "Every sink's acks against the sealed chain, and the primary's order: items verified, inconsistencies",
  })
  consistency() {
    return this.queries.execute(new GetFallbackConsistencyQuery());
  }

  @Post('reconcile')
  @Roles('admin')
  @HttpCode(200)
  @ApiOkResponse({ type: ReconcileResponseDto })
  @ApiOperation({
    operationId: 'settlement.fallbackReconcile',
    summary: 'Deliver to the primary now, in batch order, every batch it lacks; what was reconciled and what remains',
  })
  async reconcile(@Body() _body: NoFieldsRequestDto, @CurrentPrincipal() principal: Principal) {
    const result = await this.commands.execute(new ReconcileFallbackCommand());
    // Logged once it has run, with what it did: its deliveries are HTTP calls that no
    // database transaction may be held open across, so it cannot share the row's.
    const { success, batches_processed, batches_reconciled, batches_remaining } = result;
    const fields = { success, batches_processed, batches_reconciled, batches_remaining };
    await this.controlLog.run(
      { actor: controlActor(principal), action: 'settlement.fallbackReconcile', fields },
      async () => undefined,
    );
    return result;
  }
}
