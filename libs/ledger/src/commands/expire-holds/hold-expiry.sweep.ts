import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Interval } from '@nestjs/schedule';
import { LoopBackoff } from '@tally/shared';
import { ExpireHoldsCommand } from './expire-holds.command';

/** Releases expired holds every second (thin: the command does the work). */
@Injectable()
export class HoldExpirySweep implements BeforeApplicationShutdown {
  private readonly logger = new Logger(HoldExpirySweep.name);
  private readonly backoff = new LoopBackoff('hold expiry sweep', this.logger);
  private running: Promise<number> = Promise.resolve(0);
  private stopping = false;

  constructor(private readonly commands: CommandBus) {}

  @Interval(1000)
  sweep(): Promise<number> {
    // No new sweep once shutdown begins: the pool closes after this hook.
    if (this.stopping || this.backoff.waiting) return Promise.resolve(0);
    this.running = this.commands.execute(new ExpireHoldsCommand()).then(
      (expired) => {
        this.backoff.succeeded();
        return expired;
      },
      (error: unknown) => {
        this.backoff.failed(error);
        return 0;
      },
    );
    return this.running;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.running;
  }
}
