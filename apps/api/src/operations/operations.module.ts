import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DatabaseProbe } from './health/database-probe';
import { HealthController } from './health/health.controller';
import { HttpMetrics } from './metrics/http-metrics';
import { MetricsController } from './metrics/metrics.controller';
import { ConnectionDrainer } from './shutdown/connection-drainer';
import { SystemInfoController } from './system-info/system-info.controller';

/**
 * Operations surface: /health, /ready, /metrics (version-neutral) and /v1/system/info,
 * all public, and the HTTP side of graceful shutdown. HttpMetrics is exported so
 * configure-app.ts mounts its middleware first.
 */
@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'json' })],
  controllers: [HealthController, SystemInfoController, MetricsController],
  providers: [HttpMetrics, ConnectionDrainer, DatabaseProbe],
  exports: [HttpMetrics],
})
export class OperationsModule {}
