import { Global, Module } from '@nestjs/common';
import { OperationsObserver } from '@tally/shared';
import { TerminusModule } from '@nestjs/terminus';
import { LedgerQueriesModule } from '@tally/ledger';
import { SchedulerModule } from '@tally/scheduler';
import { SettlementModule } from '@tally/settlement';
import { DatabaseProbe } from './health/database-probe';
import { DependencyProbes } from './health/dependency-probes';
import { ErrorReferenceController } from './error-reference/error-reference.controller';
import { EventsStatusController } from './events/events-status.controller';
import { HealthController } from './health/health.controller';
import { BusinessMetrics } from './metrics/business-metrics';
import { HttpMetrics } from './metrics/http-metrics';
import { MetricsController } from './metrics/metrics.controller';
import { ProtocolVersions } from './protocol-versions/protocol-versions';
import { ConnectionDrainer } from './shutdown/connection-drainer';
import { SystemInfoController } from './system-info/system-info.controller';
import { BusTracing } from './tracing/bus-tracing';

/**
 * Operations surface: /health, /ready, /metrics, /docs/errors (version-neutral) and
 * /v1/system/info, all public, and the HTTP side of graceful shutdown. HttpMetrics is exported so
 * configure-app.ts mounts its middleware first; ProtocolVersions so both transports check
 * the protocol version with it. Global so the libs' loops and writers find OperationsObserver
 * (the business metrics) without importing this module.
 */
@Global()
@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'json' }), SchedulerModule, SettlementModule, LedgerQueriesModule],
  controllers: [
    HealthController,
    SystemInfoController,
    MetricsController,
    EventsStatusController,
    ErrorReferenceController,
  ],
  providers: [
    BusinessMetrics,
    { provide: OperationsObserver, useExisting: BusinessMetrics },
    HttpMetrics,
    ProtocolVersions,
    ConnectionDrainer,
    DatabaseProbe,
    DependencyProbes,
    BusTracing,
  ],
  exports: [HttpMetrics, ProtocolVersions, OperationsObserver],
})
export class OperationsModule {}
