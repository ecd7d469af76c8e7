import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ControlAction, CurrentPrincipal, Principal, Roles } from '@tally/auth';
import {
  ApiErrors,
  ErrorCode,
  ForbiddenError,
  hashOf,
  InvalidRequestError,
  pageLimit,
  parseAmount,
} from '@tally/shared';
import { OWNER_ID_PATTERN, type PayoutResolution, type PayoutStatus } from '../domain';
import { type PayoutOutcome, PayoutDesk } from '../commands/payouts/payout-desk';
import { type ListedPayout, PayoutStore } from '../persistence/payout-store';
import {
  ConfirmPayoutDto,
  FailPayoutDto,
  ListPayoutsQueryDto,
  PayoutPageResponseDto,
  PayoutResponseDto,
  RequestPayoutDto,
} from './dto/payouts.dto';
import { ApiIdempotencyKey, IdempotencyKey } from './idempotency-key.decorator';
import { decodeTimeIdCursor, encodeTimeIdCursor } from './keyset-cursor';
import { presentPayout } from './transfer.presenter';

/** A prover id from the path: an account owner's id, else DSE-001. */
function proverIdOf(proverId: string): string {
  if (!OWNER_ID_PATTERN.test(proverId)) {
    throw new InvalidRequestError('prover_id must be 1-128 characters of A-Z a-z 0-9 . _ : @ -', {
      field: 'prover_id',
    });
  }
  return proverId;
}

/** A prover key acts for its own id only; an admin for any. */
function assertActsFor(principal: Principal, proverId: string): void {
  if (principal.role === 'admin') return;
  if (principal.role !== 'prover' || principal.subject !== proverId) {
    throw new ForbiddenError('a prover key may see and request its own payouts only');
  }
}

function page(rows: ListedPayout[], limit: number) {
  return {
    items: rows.map(presentPayout),
    next_cursor: rows.length === limit ? encodeTimeIdCursor(rows[rows.length - 1]) : null,
  };
}

@ApiTags('payouts')
@Controller('provers')
export class ProverPayoutsController {
  constructor(
    private readonly desk: PayoutDesk,
    private readonly store: PayoutStore,
  ) {}

  @Post(':prover_id/payouts')
  @Roles('admin', 'prover')
  @ControlAction('payouts.request', { roles: ['admin'], keepsRejections: true })
  @ApiIdempotencyKey()
  @ApiOperation({
    operationId: 'payouts.request',
    summary: "Pay out a prover's available earnings: held toward the payout account, pending until confirmed",
  })
  @ApiCreatedResponse({ type: PayoutResponseDto, description: 'the payout, pending' })
  @ApiErrors(ErrorCode.InsufficientCredits, ErrorCode.AccountNotFound, ErrorCode.IdempotencyConflict)
  async request(
    @Param('prover_id') proverId: string,
    @Body() dto: RequestPayoutDto,
    @IdempotencyKey() key: string,
    @CurrentPrincipal() principal: Principal,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) res: FastifyReply,
  ) {
    assertActsFor(principal, proverIdOf(proverId));
    const amount = parseAmount(dto.amount);
    const outcome = await this.desk.request(proverId, amount, {
      scope: `${principal.role}:${principal.subject}`,
      key,
      // The key stands for this route, for this prover, with this body.
      requestHash: hashOf({ route: req.routeOptions.url, prover_id: proverId, body: req.body ?? null }),
    });
    if (outcome.replayed) res.header('Idempotent-Replayed', 'true');
    if ('error' in outcome) throw outcome.error;
    res.status(201);
    return presentPayout(outcome.payout);
  }

  @Post(':prover_id/payouts/:payout_id/confirm')
  @Roles('admin')
  @ControlAction('payouts.confirm')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'payouts.confirm',
    summary: 'Confirm a pending payout (its money left): the hold is captured into the payout account, once',
  })
  @ApiOkResponse({ type: PayoutResponseDto, description: 'the payout, confirmed (the same answer when replayed)' })
  @ApiErrors(ErrorCode.NotFound, ErrorCode.IllegalTransition)
  confirm(
    @Param('prover_id') proverId: string,
    @Param('payout_id', new ParseUUIDPipe()) payoutId: string,
    @Body() dto: ConfirmPayoutDto,
    @Res({ passthrough: true }) res: FastifyReply,
  ) {
    return this.resolve(proverId, payoutId, { move: 'confirm', note: dto.external_ref }, res);
  }

  @Post(':prover_id/payouts/:payout_id/fail')
  @Roles('admin')
  @ControlAction('payouts.fail')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'payouts.fail',
    summary: 'Fail a pending payout: its hold is voided and the prover has the credits again, once',
  })
  @ApiOkResponse({ type: PayoutResponseDto, description: 'the payout, failed (the same answer when replayed)' })
  @ApiErrors(ErrorCode.NotFound, ErrorCode.IllegalTransition)
  fail(
    @Param('prover_id') proverId: string,
    @Param('payout_id', new ParseUUIDPipe()) payoutId: string,
    @Body() dto: FailPayoutDto,
    @Res({ passthrough: true }) res: FastifyReply,
  ) {
    return this.resolve(proverId, payoutId, { move: 'fail', note: dto.reason }, res);
  }

  @Get(':prover_id/payouts')
  @Roles('admin', 'prover')
  @ApiOperation({
    operationId: 'payouts.list',
    summary: "A prover's payouts, newest first, by status; keyset pages (next_cursor)",
  })
  @ApiOkResponse({ type: PayoutPageResponseDto })
  async list(
    @Param('prover_id') proverId: string,
    @Query() q: ListPayoutsQueryDto,
    @CurrentPrincipal() principal: Principal,
  ) {
    assertActsFor(principal, proverIdOf(proverId));
    const limit = pageLimit(q.limit);
    const before = q.cursor === undefined ? undefined : decodeTimeIdCursor(q.cursor);
    const rows = await this.store.list({ proverId, status: q.status as PayoutStatus | undefined, before, limit });
    return page(rows, limit);
  }

  private async resolve(proverId: string, payoutId: string, resolution: PayoutResolution, res: FastifyReply) {
    const outcome: PayoutOutcome = await this.desk.resolve(proverIdOf(proverId), payoutId, resolution);
    if (outcome.replayed) res.header('Idempotent-Replayed', 'true');
    return presentPayout(outcome.payout);
  }
}

@ApiTags('admin')
@Controller('admin')
export class AdminPayoutsController {
  constructor(private readonly store: PayoutStore) {}

  @Get('payouts')
  @Roles('admin')
  @ApiOperation({
    operationId: 'admin.listPayouts',
    summary: "Every prover's payouts, newest first, by status (status=pending: the payouts owed); keyset pages",
  })
  @ApiOkResponse({ type: PayoutPageResponseDto })
  async list(@Query() q: ListPayoutsQueryDto) {
    const limit = pageLimit(q.limit);
    const before = q.cursor === undefined ? undefined : decodeTimeIdCursor(q.cursor);
    const rows = await this.store.list({ status: q.status as PayoutStatus | undefined, before, limit });
    return page(rows, limit);
  }
}
