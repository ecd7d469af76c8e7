import { ApiProperty } from '@nestjs/swagger';
import type { CreatedApiKey } from '../../commands/create-api-key/create-api-key.command';
import { ApiKeyResponseDto } from './api-key.response.dto';

export class CreatedApiKeyResponseDto extends ApiKeyResponseDto {
  @ApiProperty({
    description:
      'The API key. Shown only in this response: the server keeps only its SHA-256. Send it as ' +
      '`Authorization: Bearer <key>` or `X-API-Key: <key>`. Keys with require_signature also sign ' +
      'each request: X-Timestamp (unix seconds, within ±5 minutes) and X-Signature = hex ' +
      'HMAC-SHA256(secret, `${timestamp}\\n${METHOD}\\n${path and query}\\n${raw body}`), where ' +
      'the secret is the hex SHA-256 of this key (computed by the client); each signature is accepted once, ' +
      'so identical requests within one second must differ (e.g. by a query parameter).',
    example: 'tly_Xk3f9QaB…',
  })
  key: string;

  static fromCreated({ apiKey, secret }: CreatedApiKey): CreatedApiKeyResponseDto {
    const { id, ...rest } = ApiKeyResponseDto.from(apiKey);
    return Object.assign(new CreatedApiKeyResponseDto(), { id, key: secret, ...rest });
  }
}
