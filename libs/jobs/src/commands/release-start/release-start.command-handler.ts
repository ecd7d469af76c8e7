import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { OutboxWriter, UnitOfWork } from '@tally/database';
import { JobRepository } from '../../persistence/job.repository';
import { ReleaseStartCommand } from './release-start.command';

@CommandHandler(ReleaseStartCommand)
export class ReleaseStartCommandHandler implements ICommandHandler<ReleaseStartCommand, boolean> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly jobs: JobRepository,
    private readonly outbox: OutboxWriter,
  ) {}

  execute({ jobId, proverId, startedMoreThanMs }: ReleaseStartCommand): Promise<boolean> {
    return this.uow.run(async () => {
      const { released, events } = await this.jobs.releaseStart(jobId, proverId, startedMoreThanMs);
      this.outbox.written(events);
      return released;
    });
  }
}
