import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '@tally/auth';
import { BrokerRelay } from '@tally/database';

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
  @ApiOperation({ summary: 'Event broker state, backlog and failing deliveries (DSE-006)' })
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
