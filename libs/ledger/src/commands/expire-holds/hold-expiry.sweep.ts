import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Interval } from '@nestjs/schedule';
import { SweepLoop } from '@tally/shared';
import { ExpireHoldsCommand } from './expire-holds.command';

/** Releases expired holds every second (thin: the command does the work). */
@Injectable()
export class HoldExpirySweep implements BeforeApplicationShutdown {
  private readonly loop = new SweepLoop('hold expiry sweep', new Logger(HoldExpirySweep.name), () =>
    this.commands.execute(new ExpireHoldsCommand()),
  );

  constructor(private readonly commands: CommandBus) {}

  @Interval(1000)
  sweep(): Promise<number> {
    return this.loop.tick();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.loop.stop();
  }
}
