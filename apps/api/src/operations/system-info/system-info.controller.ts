import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '@tally/auth';
import { DatabaseConnection } from '@tally/database';
import { PROTOCOL_VERSION } from '../../configure-app';
import { packageVersion } from '../package-version';
import { SystemInfoResponse } from './system-info.response.dto';

/** What is running: public, and nothing in it is a secret (no URLs, paths or keys). */
@ApiTags('operations')
@Controller('system')
export class SystemInfoController {
  private readonly version = packageVersion();
  private readonly startedAt = new Date();
  private readonly startedAtMs = performance.now();

  constructor(private readonly database: DatabaseConnection) {}

  @Get('info')
  @Public()
  @ApiOperation({ summary: 'Service name, versions, database kind and uptime', security: [] })
  @ApiOkResponse({ type: SystemInfoResponse })
  info(): SystemInfoResponse {
    return {
      name: 'tally',
      version: this.version,
      protocol_version: PROTOCOL_VERSION,
      database: this.database.kind,
      uptime_seconds: Math.floor((performance.now() - this.startedAtMs) / 1000),
      started_at: this.startedAt.toISOString(),
    };
  }
}
