import { Query, QueryHandler, IQueryHandler } from '@nestjs/cqrs';
import type { VersionedSchedulerConfig } from '../../domain';
import { SchedulerConfigRepository } from '../../persistence/scheduler-config.repository';

/** The stored scheduler config with its version. */
export class GetSchedulerConfigQuery extends Query<VersionedSchedulerConfig> {}

@QueryHandler(GetSchedulerConfigQuery)
export class GetSchedulerConfigQueryHandler implements IQueryHandler<
  GetSchedulerConfigQuery,
  VersionedSchedulerConfig
> {
  constructor(private readonly configs: SchedulerConfigRepository) {}

  execute(): Promise<VersionedSchedulerConfig> {
    return this.configs.get();
  }
}
