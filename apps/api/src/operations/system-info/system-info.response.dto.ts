import { ApiProperty } from '@nestjs/swagger';
import type { DatabaseKind } from '@tally/database';

export class EventsTransportInfo {
  @ApiProperty({ enum: ['nats', 'off'], description: 'off: EVENTS_NATS_URL is unset' })
  transport: 'nats' | 'off';

  @ApiProperty({
    enum: ['up', 'degraded', 'off'],
    description: 'degraded: the broker is away or slow; events wait in the outbox',
  })
  state: 'up' | 'degraded' | 'off';

  @ApiProperty({ example: 0, description: 'events committed and not yet acked by the broker' })
  backlog: number;

  @ApiProperty({ example: 0, description: 'age of the oldest of them, in seconds' })
  lag_seconds: number;
}

export class SystemInfoResponse {
  @ApiProperty({ example: 'tally' })
  name: 'tally';

  @ApiProperty({ example: '0.1.0', description: 'the service version (package.json)' })
  version: string;

  @ApiProperty({
    example: '1',
    description: 'the current protocol version: served to requests that name none (X-Protocol-Version)',
  })
  protocol_version: string;

  @ApiProperty({ example: ['1'], description: 'the protocol major versions served' })
  supported_protocol_versions: string[];

  @ApiProperty({ example: [], description: 'served versions that are deprecated (answers carry a Deprecation header)' })
  deprecated_protocol_versions: string[];

  @ApiProperty({ enum: ['embedded', 'postgres'] })
  database: DatabaseKind;

  @ApiProperty({ example: 3600, description: 'whole seconds since this instance started' })
  uptime_seconds: number;

  @ApiProperty({ example: '2026-01-01T00:00:00.000Z', format: 'date-time' })
  started_at: string;

  @ApiProperty({ type: () => EventsTransportInfo, description: 'the event broker and its backlog (docs/events.md)' })
  events: EventsTransportInfo;
}
