import { DynamicModule, Module } from '@nestjs/common';
import { TallyConfigModule } from '@tally/shared';
import { DatabaseModule } from '@tally/database';
import { ScheduleModule } from '@nestjs/schedule';
import { AuthModule } from '@tally/auth';
import { LedgerModule } from '@tally/ledger';
import { ServicesModule } from '@tally/services';
import { JobsModule } from '@tally/jobs';
import { SchedulerModule } from '@tally/scheduler';
import { ProversModule } from '@tally/provers';
import { ReceiptsModule } from '@tally/receipts';
import { SettlementModule } from '@tally/settlement';
import { WebhooksModule } from '@tally/webhooks';
import { EventsStreamModule } from './events/events-stream.module';
import { GrpcModule } from './grpc/grpc.module';
import { LoggingModule } from './logging/logging.module';
import { AdminModule } from './operations/admin/admin.module';
import { OperationsModule } from './operations/operations.module';

/**
 * The HTTP application. `env` overrides process.env (tests and benchmarks start apps
 * with their own database and limits).
 */
@Module({})
export class AppModule {
  static forRoot(env: Record<string, string | undefined> = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        TallyConfigModule.forRoot(env),
        LoggingModule,
        ScheduleModule.forRoot(),
        DatabaseModule.forRoot(),
        AuthModule,
        OperationsModule,
        AdminModule,
        LedgerModule,
        ServicesModule,
        JobsModule,
        SchedulerModule,
        ProversModule,
        ReceiptsModule,
        SettlementModule,
        WebhooksModule,
        GrpcModule,
        EventsStreamModule,
      ],
    };
  }
}
