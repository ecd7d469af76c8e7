import { Command } from '@nestjs/cqrs';

/** Releases every pending hold whose expiry has passed; returns how many were expired. */
export class ExpireHoldsCommand extends Command<number> {
  constructor(readonly now: Date = new Date()) {
    super();
  }
}
