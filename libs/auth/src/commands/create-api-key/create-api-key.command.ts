import { Command } from '@nestjs/cqrs';
import type { ApiKey } from '../../domain/api-key';

export interface CreatedApiKey {
  apiKey: ApiKey;
  /** The key itself: shown to the caller once, never stored. */
  secret: string;
}

/** Issues a new random API key for `role` and `subject`. */
export class CreateApiKeyCommand extends Command<CreatedApiKey> {
  constructor(
    readonly role: string,
    readonly subject: string,
    readonly options: { requireSignature?: boolean; label?: string | null } = {},
  ) {
    super();
  }
}
