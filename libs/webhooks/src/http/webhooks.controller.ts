import { randomBytes } from 'node:crypto';
import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ControlAction, CurrentPrincipal, Principal, Roles } from '@tally/auth';
import { ApiErrors, ErrorCode, InvalidRequestError, NotFoundError, TallyEnv } from '@tally/shared';
import type { WebhookOwner } from '../domain';
import { DeliveryRow, SubscriptionRow, WebhookStore } from '../persistence/webhook-store';
import { CreateWebhookRequestDto } from './dto/webhooks.request.dto';
import {
  CreatedWebhookResponseDto,
  WebhookDeliveryListResponseDto,
  WebhookListResponseDto,
} from './dto/webhooks.response.dto';
import { checkWebhookUrl } from './webhook-url';

const DELIVERY_LOG_LIMIT = 100;
const MAX_SUBSCRIPTIONS = 20;

const ownerOf = (p: Principal): WebhookOwner => ({ role: p.role === 'admin' ? 'admin' : 'client', subject: p.subject });

const presentSubscription = (s: SubscriptionRow) => ({
  webhook_id: s.id,
  url: s.url,
  event_types: s.event_types,
  status: s.status,
  failing_since: s.failing_since?.toISOString() ?? null,
  owner: { role: s.owner_role, subject: s.owner_subject },
  created_at: s.created_at.toISOString(),
});

const presentDelivery = (d: DeliveryRow) => ({
  delivery_id: d.id,
  event_id: d.event_id,
  event_type: d.event_type,
  sequence: d.sequence,
  status: d.status,
  attempts: d.attempts,
  next_attempt_at: d.status === 'pending' ? d.next_attempt_at.toISOString() : null,
  last_status_code: d.last_status_code,
  last_error: d.last_error,
  delivered_at: d.delivered_at?.toISOString() ?? null,
  created_at: d.created_at.toISOString(),
});

@ApiTags('webhooks')
@Controller('webhooks')
export class WebhooksController {
  constructor(
    private readonly store: WebhookStore,
    private readonly env: TallyEnv,
  ) {}

  @Post()
  @Roles('admin', 'client')
  @ControlAction('webhooks.create', { roles: ['admin'] })
  @ApiCreatedResponse({ type: CreatedWebhookResponseDto })
  @ApiOperation({
    operationId: 'webhooks.create',
    summary: "Subscribe a URL to events (a client: its own jobs' and account's); the secret is shown only here",
  })
  async create(@Body() dto: CreateWebhookRequestDto, @CurrentPrincipal() principal: Principal) {
    const url = await checkWebhookUrl(dto.url, this.env.WEBHOOKS_ALLOW_PRIVATE_URLS);
    const secret = `whsec_${randomBytes(32).toString('hex')}`;
    const created = await this.store.create(
      ownerOf(principal),
      url,
      [...new Set(dto.event_types)],
      secret,
      MAX_SUBSCRIPTIONS,
    );
    // Each subscription costs every matching event a delivery: a key's are bounded.
    if (!created) throw new InvalidRequestError(`a key may hold at most ${MAX_SUBSCRIPTIONS} webhook subscriptions`);
    return { ...presentSubscription(created), secret };
  }

  @Get()
  @Roles('admin', 'client')
  @ApiOperation({ operationId: 'webhooks.list', summary: "The caller's webhook subscriptions" })
  @ApiOkResponse({ type: WebhookListResponseDto })
  async list(@CurrentPrincipal() principal: Principal) {
    return { items: (await this.store.list(ownerOf(principal))).map(presentSubscription) };
  }

  @Delete(':webhook_id')
  @ControlAction('webhooks.delete', { roles: ['admin'] })
  @HttpCode(204)
  @Roles('admin', 'client')
  @ApiOperation({ operationId: 'webhooks.delete', summary: 'Remove a subscription and its delivery log' })
  @ApiNoContentResponse({ description: 'removed' })
  @ApiErrors(ErrorCode.NotFound)
  async remove(@Param('webhook_id', new ParseUUIDPipe()) id: string, @CurrentPrincipal() principal: Principal) {
    // Another client's subscription is as unknown to the caller as one that does not exist.
    if (!(await this.store.remove(ownerOf(principal), id))) throw new NotFoundError(`no webhook ${id}`);
  }

  @Get(':webhook_id/deliveries')
  @Roles('admin', 'client')
  @ApiOkResponse({ type: WebhookDeliveryListResponseDto })
  @ApiErrors(ErrorCode.NotFound)
  @ApiOperation({
    operationId: 'webhooks.deliveries',
    summary: "A subscription's delivery log, newest first (at most 100)",
  })
  async deliveries(@Param('webhook_id', new ParseUUIDPipe()) id: string, @CurrentPrincipal() principal: Principal) {
    const subscription = await this.store.find(ownerOf(principal), id);
    if (!subscription) throw new NotFoundError(`no webhook ${id}`);
    return { items: (await this.store.deliveries(id, DELIVERY_LOG_LIMIT)).map(presentDelivery) };
  }
}
