import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '@tally/auth';
import { BrokerRelay, DatabaseConnection } from '@tally/database';
import { packageVersion } from '@tally/shared';
import { ProtocolVersions } from '../protocol-versions/protocol-versions';
import { SystemInfoResponse } from './system-info.response.dto';

/** What is running: public, and nothing in it is a secret (no URLs, paths or keys). */
@ApiTags('operations')
@Controller('system')
export class SystemInfoController {
  private readonly version = packageVersion();
  private readonly startedAt = new Date();
  private readonly startedAtMs = performance.now();

  constructor(
    private readonly database: DatabaseConnection,
    private readonly versions: ProtocolVersions,
    private readonly broker: BrokerRelay,
  ) {}

  @Get('info')
  @Public()
  @ApiOperation({
    operationId: 'operations.info',
    summary: 'Service name, versions, database kind, uptime and the event broker backlog',
    security: [],
  })
  @ApiOkResponse({ type: SystemInfoResponse })
  async info(): Promise<SystemInfoResponse> {
    const { transport, state, backlog, lag_seconds } = await this.broker.status();
    return {
      name: 'tally',
      version: this.version,
      protocol_version: this.versions.policy.current,
      supported_protocol_versions: [...this.versions.policy.supported],
      deprecated_protocol_versions: [...this.versions.policy.deprecated],
      database: this.database.kind,
      uptime_seconds: Math.floor((performance.now() - this.startedAtMs) / 1000),
      started_at: this.startedAt.toISOString(),
      events: { transport, state, backlog, lag_seconds },
    };
  }
}
