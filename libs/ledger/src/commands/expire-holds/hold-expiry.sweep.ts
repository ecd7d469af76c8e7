import { Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { CommandSweep } from '@tally/shared';
import { ExpireHoldsCommand } from './expire-holds.command';

/** Releases expired holds every second (thin: the command does the work). */
@Injectable()
export class HoldExpirySweep extends CommandSweep {
  constructor(commands: CommandBus) {
    super('hold expiry sweep', commands, () => new ExpireHoldsCommand());
  }
}
