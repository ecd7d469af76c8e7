import { Command } from '@nestjs/cqrs';
import type { AccountRef } from '../../domain';
import type { AccountRow } from '../../persistence/ledger-reader';

/** The caller's Idempotency-Key, under its scope, with the hash of the request it came with. */
export interface AccountIdempotency {
  scope: string;
  key: string;
  requestHash: string;
}

/**
 * Creates a user or provider account explicitly (with metadata); an existing one is returned
 * as is. With an Idempotency-Key (the HTTP route), a replay is answered as the first request
 * was (201 or 200), and the key reused with another request is DSE-009.
 */
export class CreateAccountCommand extends Command<{ account: AccountRow; created: boolean; replayed: boolean }> {
  constructor(
    readonly ref: AccountRef,
    readonly metadata: Record<string, unknown>,
    readonly idempotency?: AccountIdempotency,
  ) {
    super();
  }
}
