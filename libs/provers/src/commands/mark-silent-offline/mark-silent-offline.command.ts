import { Command } from '@nestjs/cqrs';

/**
 * Provers silent past `ttlMs` (by the database clock) go offline (the timeout sweep's
 * first step; the score version is untouched). Returns their ids, sorted. Joins the
 * caller's transaction.
 */
export class MarkSilentOfflineCommand extends Command<string[]> {
  constructor(readonly ttlMs: number) {
    super();
  }
}
