import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { UnitOfWork } from '@tally/database';
import type { VersionedSchedulerConfig } from '../../domain';
import { SchedulerConfigRepository } from '../../persistence/scheduler-config.repository';
import { SchedulerTicker } from '../../ticks/scheduler-ticker';
import { PutSchedulerConfigCommand } from './put-scheduler-config.command';

@CommandHandler(PutSchedulerConfigCommand)
export class PutSchedulerConfigCommandHandler implements ICommandHandler<
  PutSchedulerConfigCommand,
  VersionedSchedulerConfig
> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly configs: SchedulerConfigRepository,
    private readonly ticker: SchedulerTicker,
  ) {}

  async execute({ config, expectedVersion }: PutSchedulerConfigCommand): Promise<VersionedSchedulerConfig> {
    const saved = await this.uow.run(() => this.configs.put(config, expectedVersion));
    // This replica applies a new tick interval at once; the others on their next sweep.
    this.ticker.applyConfig(saved);
    return saved;
  }
}
