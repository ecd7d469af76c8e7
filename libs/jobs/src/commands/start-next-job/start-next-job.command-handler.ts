import { BeforeApplicationShutdown, Optional } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { OutboxWriter, UnitOfWork } from '@tally/database';
import { GroupCommit, OperationsObserver, Settled } from '@tally/shared';
import { JobRepository, JobRow } from '../../persistence/job.repository';
import { StartNextJobCommand } from './start-next-job.command';

/**
 * Polls arrive in bursts (every prover long-polls): the ones that arrive together start
 * their jobs in one statement (group commit), each taking its own prover's oldest
 * replica under the job's row lock, skipping jobs another command holds.
 */
@CommandHandler(StartNextJobCommand)
export class StartNextJobCommandHandler
  implements ICommandHandler<StartNextJobCommand, JobRow | null>, BeforeApplicationShutdown
{
  private readonly starts = new GroupCommit<string, JobRow | null>((provers) => this.startAll(provers), {
    inline: () => this.uow.active,
    onBatch: (size, waited) => this.observer?.groupCommitted('jobs.start', size, waited),
  });

  constructor(
    private readonly uow: UnitOfWork,
    private readonly jobs: JobRepository,
    private readonly outbox: OutboxWriter,
    @Optional() private readonly observer?: OperationsObserver,
  ) {}

  execute({ proverId }: StartNextJobCommand): Promise<JobRow | null> {
    return this.starts.submit(proverId);
  }

  /** Each call for a prover gets the next of that prover's started jobs, oldest first. */
  private async startAll(proverIds: string[]): Promise<Settled<JobRow | null>[]> {
    const wanted = new Map<string, number>();
    for (const p of proverIds) wanted.set(p, (wanted.get(p) ?? 0) + 1);
    const { byProver, events } = await this.jobs.startNextAssigned(wanted);
    this.outbox.written(events);
    return proverIds.map((p) => ({ value: byProver.get(p)?.shift() ?? null }));
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.starts.idle();
  }
}
