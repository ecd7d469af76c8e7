import { Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Interval } from '@nestjs/schedule';
import { ExpireHoldsCommand } from './expire-holds.command';

/** Releases expired holds every second (thin: the command does the work). */
@Injectable()
export class HoldExpirySweep {
  constructor(private readonly commands: CommandBus) {}

  @Interval(1000)
  sweep(): Promise<number> {
    return this.commands.execute(new ExpireHoldsCommand());
  }
}
