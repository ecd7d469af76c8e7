import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ControlAction, CurrentPrincipal, Principal, Roles } from '@tally/auth';
import { ApiErrors, ErrorCode, ForbiddenError, formatMicros, InvalidRequestError, parseAmount } from '@tally/shared';
import { type AccountRef, accountRef, type AlertDirection, providerAccount, userAccount } from '../domain';
import { BalanceAlertRow, BalanceAlertStore } from '../persistence/balance-alert-store';
import { BalanceAlertRequestDto } from './dto/credits.request.dto';
import { BalanceAlertListResponseDto } from './dto/credits.response.dto';

/** The account named in the path, if the caller may manage its alerts (an admin any; a key its own). */
function managedAccount(p: Principal, type: string, owner: string): AccountRef {
  const ref = accountRef(type, owner);
  const own =
    p.role === 'client' ? userAccount(p.subject) : p.role === 'prover' ? providerAccount(p.subject) : undefined;
  if (own && (own.kind !== ref.kind || own.owner !== ref.owner)) {
    throw new ForbiddenError("a client or prover key may manage only its own account's alerts");
  }
  return ref;
}

const presentAlert = (ref: AccountRef, a: BalanceAlertRow) => ({
  alert_id: a.id,
  account_type: ref.kind,
  account_id: ref.owner,
  direction: a.direction,
  threshold: formatMicros(a.threshold),
  armed: a.armed,
  fired_count: a.firedCount,
  last_fired_at: a.lastFiredAt?.toISOString() ?? null,
  created_at: a.createdAt.toISOString(),
});

@ApiTags('credits')
@Controller('credits/accounts/:account_type/:account_id/alerts')
export class BalanceAlertsController {
  constructor(private readonly alerts: BalanceAlertStore) {}

  @Post()
  @Roles('admin', 'client', 'prover')
  @ControlAction('credits.createAlerts', { roles: ['admin'] })
  @ApiOperation({
    operationId: 'credits.createAlerts',
    summary: 'Balance alerts: fire once when the available balance crosses below or above a threshold',
  })
  @ApiCreatedResponse({ type: BalanceAlertListResponseDto, description: 'the alerts created (one per threshold)' })
  @ApiErrors(ErrorCode.AccountNotFound)
  async create(
    @Param('account_type') type: string,
    @Param('account_id') owner: string,
    @Body() dto: BalanceAlertRequestDto,
    @CurrentPrincipal() principal: Principal,
  ) {
    const ref = managedAccount(principal, type, owner);
    const thresholds: { direction: AlertDirection; threshold: bigint }[] = [];
    if (dto.below !== undefined) thresholds.push({ direction: 'below', threshold: parseAmount(dto.below, 'below') });
    if (dto.above !== undefined) thresholds.push({ direction: 'above', threshold: parseAmount(dto.above, 'above') });
    if (thresholds.length === 0) throw new InvalidRequestError('give below, above or both');
    const created = await this.alerts.add(ref, thresholds);
    return { items: created.map((a) => presentAlert(ref, a)) };
  }

  @Get()
  @Roles('admin', 'client', 'prover')
  @ApiOperation({ operationId: 'credits.listAlerts', summary: "An account's balance alerts" })
  @ApiOkResponse({ type: BalanceAlertListResponseDto })
  async list(
    @Param('account_type') type: string,
    @Param('account_id') owner: string,
    @CurrentPrincipal() principal: Principal,
  ) {
    const ref = managedAccount(principal, type, owner);
    return { items: (await this.alerts.list(ref)).map((a) => presentAlert(ref, a)) };
  }

  @Delete(':alert_id')
  @HttpCode(204)
  @Roles('admin', 'client', 'prover')
  @ControlAction('credits.deleteAlert', { roles: ['admin'] })
  @ApiOperation({ operationId: 'credits.deleteAlert', summary: 'Remove a balance alert' })
  @ApiNoContentResponse({ description: 'removed' })
  @ApiErrors(ErrorCode.NotFound)
  async remove(
    @Param('account_type') type: string,
    @Param('account_id') owner: string,
    @Param('alert_id', new ParseUUIDPipe()) alertId: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    await this.alerts.remove(managedAccount(principal, type, owner), alertId);
  }
}
