import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { ErrorCode } from '@tally/shared';
import { EventsTransportInfo } from '../system-info/system-info.response.dto';
import { Roles } from '@tally/auth';
import { BrokerRelay } from '@tally/database';

class FailingDeliveryDto {
  @ApiProperty({ enum: [ErrorCode.TransportFailure] }) code: string;
  @ApiProperty() detail: string;
  @ApiProperty() event_id: string;
  @ApiProperty() type: string;
  @ApiProperty({ format: 'int64', description: 'its outbox sequence' }) sequence: string;
  @ApiProperty({ type: 'integer' }) attempts: number;
}

class EventsStatusResponseDto extends EventsTransportInfo {
  @ApiPropertyOptional({ description: 'the JetStream stream, when the broker is on' }) stream?: string;
  @ApiProperty({ type: [FailingDeliveryDto] }) failing: FailingDeliveryDto[];
}

/**
 * The event broker's health for operators: its state, the backlog, and every event whose
 * delivery failed past EVENTS_RETRY_BUDGET, each as DSE-006 (they are still retried, in
 * order, and leave this list once the broker acks them).
 */
@ApiTags('admin')
@Controller('events')
export class EventsStatusController {
  constructor(private readonly broker: BrokerRelay) {}

  @Get('status')
  @Roles('admin')
  @ApiOkResponse({ type: EventsStatusResponseDto })
  @ApiOperation({
    operationId: 'admin.eventsStatus',
    summary: 'Event broker state, backlog and failing deliveries (DSE-006)',
  })
  async status() {
    const [status, failing] = await Promise.all([this.broker.status(), this.broker.failing()]);
    return {
      ...status,
      failing: failing.map((f) => ({
        code: f.code,
        detail: `event ${f.event_id} (${f.type}) failed ${f.attempts} times: ${f.error}`,
        event_id: f.event_id,
        type: f.type,
        sequence: f.sequence,
        attempts: f.attempts,
      })),
    };
  }
}
