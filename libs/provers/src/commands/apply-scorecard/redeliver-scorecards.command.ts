import { Command } from '@nestjs/cqrs';

/** Retries the score events that are due in the redelivery queue; returns how many were applied. */
export class RedeliverScorecardsCommand extends Command<number> {
  constructor(readonly limit = 100) {
    super();
  }
}
