import { Command } from '@nestjs/cqrs';
import type { AccountRef } from '../../domain';
import type { AccountRow } from '../../persistence/ledger-reader';

/** Creates a user or provider account explicitly (with metadata); an existing one is returned as is. */
export class CreateAccountCommand extends Command<{ account: AccountRow; created: boolean }> {
  constructor(
    readonly ref: AccountRef,
    readonly metadata: Record<string, unknown>,
  ) {
    super();
  }
}
