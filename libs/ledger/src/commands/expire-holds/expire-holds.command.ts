import { Command } from '@nestjs/cqrs';

/** Releases every pending hold whose expiry has passed (by `now`, else the Clock's); returns how many were expired. */
export class ExpireHoldsCommand extends Command<number> {
  constructor(readonly now?: Date) {
    super();
  }
}
