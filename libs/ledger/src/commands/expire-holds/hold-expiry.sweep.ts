import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Interval } from '@nestjs/schedule';
import { ExpireHoldsCommand } from './expire-holds.command';

/** Releases expired holds every second (thin: the command does the work). */
@Injectable()
export class HoldExpirySweep implements BeforeApplicationShutdown {
  private running: Promise<number> = Promise.resolve(0);
  private stopping = false;

  constructor(private readonly commands: CommandBus) {}

  @Interval(1000)
  sweep(): Promise<number> {
    // No new sweep once shutdown begins: the pool closes after this hook.
    if (this.stopping) return Promise.resolve(0);
    this.running = this.commands.execute(new ExpireHoldsCommand());
    return this.running;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.running.catch(() => 0);
  }
}
