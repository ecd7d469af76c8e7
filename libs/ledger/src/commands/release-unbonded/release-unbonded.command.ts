import { Command } from '@nestjs/cqrs';

/**
 * Releases every unbonding whose time has come (by `now`, else the Clock's) into its prover's
 * provider account; returns how many this call released.
 */
export class ReleaseUnbondedCommand extends Command<number> {
  constructor(readonly now?: Date) {
    super();
  }
}
