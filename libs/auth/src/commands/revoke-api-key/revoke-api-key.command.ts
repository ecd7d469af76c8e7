import { Command } from '@nestjs/cqrs';
import type { ApiKey } from '../../domain/api-key';

/** Revokes a key (idempotent: revoking a revoked key returns it unchanged). */
export class RevokeApiKeyCommand extends Command<ApiKey> {
  constructor(readonly id: string) {
    super();
  }
}
