import { Module } from '@nestjs/common';
import { PutServiceCommandHandler } from './commands/put-service/put-service.command-handler';
import { ServiceScheduleRepository } from './domain';
import { RegistryController } from './http/registry.controller';
import { PgServiceScheduleRepository } from './persistence/pg-service-schedule.repository';
import { ServiceRegistry } from './service-registry/service-registry';
import { SeedServices } from './seed/seed-services';

/** Per-service price schedules and schemas (seeded at start) (the registry HTTP API) and the ServiceRegistry that prices jobs. */
@Module({
  controllers: [RegistryController],
  providers: [
    { provide: ServiceScheduleRepository, useClass: PgServiceScheduleRepository },
    ServiceRegistry,
    PutServiceCommandHandler,
    SeedServices,
  ],
  exports: [ServiceRegistry],
})
export class ServicesModule {}
