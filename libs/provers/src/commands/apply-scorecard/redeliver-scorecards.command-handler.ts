import { Injectable, Logger } from '@nestjs/common';
import { CommandBus, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Interval } from '@nestjs/schedule';
import { UnitOfWork } from '@tally/database';
import { DomainError, ErrorCode, LoopBackoff } from '@tally/shared';
import { ScorecardUpdatePublished } from '../../events/provers.events';
import { ScorecardRetryQueue } from '../../persistence/scorecard-retry.queue';
import { ScorecardPersistor } from './scorecard-persistor';
import { RedeliverScorecardsCommand } from './redeliver-scorecards.command';

@CommandHandler(RedeliverScorecardsCommand)
export class RedeliverScorecardsCommandHandler implements ICommandHandler<RedeliverScorecardsCommand, number> {
  private readonly logger = new Logger(RedeliverScorecardsCommandHandler.name);

  constructor(
    private readonly uow: UnitOfWork,
    private readonly retries: ScorecardRetryQueue,
    private readonly persistor: ScorecardPersistor,
  ) {}

  async execute({ limit }: RedeliverScorecardsCommand): Promise<number> {
    const due = await this.uow.run(() => this.retries.claimDue(limit));
    let applied = 0;
    for (const row of due) {
      try {
        await this.persistor.apply(new ScorecardUpdatePublished(row.payload, row.event_id, row.created_at));
        applied++;
      } catch (error) {
        // A conflict again: the persistor queued it with a longer backoff. An unexpected error (the
        // database away) leaves it leased, to come due again. A domain error cannot heal: drop it.
        if (!(error instanceof DomainError) || error.code === ErrorCode.VersionConflict) continue;
        this.logger.error({ err: error, event_id: row.event_id }, 'dropping a score event that cannot be applied');
      }
      await this.uow.run(() => this.retries.remove(row.event_id));
    }
    return applied;
  }
}

/** Thin tick: runs the redelivery command every second (one pass at a time). */
@Injectable()
export class ScorecardRedeliveryTick {
  private readonly logger = new Logger(ScorecardRedeliveryTick.name);
  private readonly backoff = new LoopBackoff('scorecard redelivery', this.logger);
  private running = false;

  constructor(private readonly commands: CommandBus) {}

  @Interval(1000)
  async tick(): Promise<void> {
    if (this.running || this.backoff.waiting) return;
    this.running = true;
    try {
      await this.commands.execute(new RedeliverScorecardsCommand());
      this.backoff.succeeded();
    } catch (error) {
      this.backoff.failed(error);
    } finally {
      this.running = false;
    }
  }
}
