import { Controller, Get, Header, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Public } from '@tally/auth';
import { HttpMetrics } from './http-metrics';

@ApiTags('operations')
@Controller({ version: VERSION_NEUTRAL })
export class MetricsController {
  constructor(private readonly metrics: HttpMetrics) {}

  @Get('metrics')
  @Public()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    operationId: 'operations.metrics',
    summary: 'Prometheus metrics (text exposition format)',
    security: [],
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({
    description:
      'Process metrics, http_request_duration_seconds and the tally_* business metrics (listed in docs/operations.md)',
    schema: { type: 'string' },
  })
  scrape(): Promise<string> {
    return this.metrics.metrics();
  }
}
