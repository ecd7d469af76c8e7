import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { ApiKeyCache } from '../../authentication/api-key-cache';
import { ApiKeyRepository, type ApiKey } from '../../domain/api-key';
import { ApiKeyNotFoundError } from '../../domain/api-key-not-found.error';
import { isKeyId } from '../../domain/api-key-rules';
import { RevokeApiKeyCommand } from './revoke-api-key.command';

@CommandHandler(RevokeApiKeyCommand)
export class RevokeApiKeyCommandHandler implements ICommandHandler<RevokeApiKeyCommand> {
  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly cache: ApiKeyCache,
  ) {}

  async execute({ id }: RevokeApiKeyCommand): Promise<ApiKey> {
    if (!isKeyId(id)) throw new ApiKeyNotFoundError(id);
    const key = await this.keys.revoke(id);
    // Whatever happened, drop cached keys so a revoked key stops working on this instance now.
    this.cache.invalidate();
    if (!key) throw new ApiKeyNotFoundError(id);
    return key;
  }
}
