import { Body, Controller, Param, Post, Req, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ControlAction, CurrentPrincipal, Principal, Roles } from '@tally/auth';
import {
  ApiIdempotencyKey,
  bondRequest,
  IdempotencyKey,
  PostTransferCommand,
  type PostingRequest,
  unbondRequest,
  unbondsAt,
} from '@tally/ledger';
import { ApiErrors, Clock, ErrorCode, hashOf, newId, parseAmount, TallyEnv } from '@tally/shared';
import { GetProverQuery } from '../queries/get-prover/get-prover.query';
import { StakeAmountRequestDto } from './dto/provers.request.dto';
import { StakeMovementResponseDto } from './dto/provers.response.dto';
import { assertActsFor, checkProverId } from './prover-endpoints';
import { presentStakeMovement } from './prover.presenter';

/**
 * A prover's stake: it bonds credits of its provider account (stake) and unbonds them
 * (unstake: locked for STAKE_UNBONDING_SECONDS, then released by the unbonding sweep). The
 * prover itself or an admin; each an ordinary ledger posting, idempotent by Idempotency-Key.
 */
@ApiTags('provers')
@Controller('provers')
export class ProverStakeController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly env: TallyEnv,
    private readonly clock: Clock,
  ) {}

  @Post(':prover_id/stake')
  @Roles('admin', 'prover')
  @ControlAction('provers.stake', { roles: ['admin'], keepsRejections: true })
  @ApiIdempotencyKey()
  @ApiOperation({
    operationId: 'provers.stake',
    summary: "Bond credits from the prover's provider account into its stake account",
  })
  @ApiCreatedResponse({ type: StakeMovementResponseDto, description: 'the bond, with the stake right after it' })
  @ApiErrors(ErrorCode.ProverNotFound, ErrorCode.InsufficientCredits, ErrorCode.AccountNotFound)
  stake(
    @Param('prover_id') proverId: string,
    @Body() dto: StakeAmountRequestDto,
    @IdempotencyKey() key: string,
    @CurrentPrincipal() principal: Principal,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) res: FastifyReply,
  ) {
    return this.move(proverId, dto, key, principal, req, res, (id, amount) => bondRequest(id, proverId, amount));
  }

  @Post(':prover_id/unstake')
  @Roles('admin', 'prover')
  @ControlAction('provers.unstake', { roles: ['admin'], keepsRejections: true })
  @ApiIdempotencyKey()
  @ApiOperation({
    operationId: 'provers.unstake',
    summary: 'Start unbonding: the amount stays locked for STAKE_UNBONDING_SECONDS, then goes to the provider account',
  })
  @ApiCreatedResponse({
    type: StakeMovementResponseDto,
    description: 'the unbonding (a hold), with the stake after it',
  })
  @ApiErrors(ErrorCode.ProverNotFound, ErrorCode.InsufficientCredits, ErrorCode.AccountNotFound)
  unstake(
    @Param('prover_id') proverId: string,
    @Body() dto: StakeAmountRequestDto,
    @IdempotencyKey() key: string,
    @CurrentPrincipal() principal: Principal,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) res: FastifyReply,
  ) {
    const until = unbondsAt(this.clock.now(), this.env.STAKE_UNBONDING_SECONDS);
    return this.move(proverId, dto, key, principal, req, res, (id, amount) =>
      unbondRequest(id, proverId, amount, until),
    );
  }

  private async move(
    proverId: string,
    dto: StakeAmountRequestDto,
    key: string,
    principal: Principal,
    req: FastifyRequest,
    res: FastifyReply,
    build: (id: string, amount: bigint) => PostingRequest,
  ) {
    assertActsFor(principal, checkProverId(proverId));
    const amount = parseAmount(dto.amount); // refused here if malformed, before its key is claimed
    await this.queries.execute(new GetProverQuery(proverId)); // DSE-004 for an unknown prover
    // A key is the caller's own, and stands for one request: this route, this prover, this body.
    const idempotency = {
      scope: `${principal.role}:${principal.subject}`,
      key,
      requestHash: hashOf({ route: req.routeOptions.url, prover_id: proverId, body: req.body ?? null }),
    };
    const result = await this.commands.execute(new PostTransferCommand({ ...build(newId(), amount), idempotency }));
    if (result.replayed) res.header('Idempotent-Replayed', 'true');
    if (!result.ok) throw result.error;
    res.status(201);
    return presentStakeMovement(proverId, result.transfer);
  }
}
