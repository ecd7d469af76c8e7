import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { ServiceScheduleRepository } from '../../domain';
import { PutServiceCommand } from './put-service.command';

@CommandHandler(PutServiceCommand)
export class PutServiceCommandHandler implements ICommandHandler<PutServiceCommand> {
  constructor(private readonly schedules: ServiceScheduleRepository) {}

  execute({ spec }: PutServiceCommand) {
    return this.schedules.put(spec);
  }
}
