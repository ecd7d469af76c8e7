import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { newId } from '@tally/shared';
import { ApiKeyRepository } from '../../domain/api-key';
import { assertValidKeyRequest } from '../../domain/api-key-rules';
import { displayPrefix, generateApiKey, hashApiKey } from '../../domain/api-key-secret';
import { CreateApiKeyCommand, CreatedApiKey } from './create-api-key.command';

@CommandHandler(CreateApiKeyCommand)
export class CreateApiKeyCommandHandler implements ICommandHandler<CreateApiKeyCommand> {
  constructor(private readonly keys: ApiKeyRepository) {}

  async execute(command: CreateApiKeyCommand): Promise<CreatedApiKey> {
    const request = {
      role: command.role,
      subject: command.subject,
      requireSignature: command.options.requireSignature ?? false,
      label: command.options.label ?? null,
    };
    assertValidKeyRequest(request);
    const secret = generateApiKey();
    const apiKey = await this.keys.insert({
      id: newId(),
      keyHash: hashApiKey(secret),
      prefix: displayPrefix(secret),
      ...request,
    });
    return { apiKey, secret };
  }
}
