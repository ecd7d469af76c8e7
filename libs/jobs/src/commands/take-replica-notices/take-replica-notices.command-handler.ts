import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { UnitOfWork } from '@tally/database';
import { JobRepository } from '../../persistence/job.repository';
import { TakeReplicaNoticesCommand } from './take-replica-notices.command';

@CommandHandler(TakeReplicaNoticesCommand)
export class TakeReplicaNoticesCommandHandler implements ICommandHandler<TakeReplicaNoticesCommand, string[]> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly jobs: JobRepository,
  ) {}

  execute({ proverId, since }: TakeReplicaNoticesCommand): Promise<string[]> {
    return this.uow.run(() => this.jobs.takeNotices(proverId, since));
  }
}
