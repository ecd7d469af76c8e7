import { ApiProperty } from '@nestjs/swagger';
import { type Role, ROLES } from '../../domain/role';
import type { ApiKey } from '../../domain/api-key';

/** A key as listed: never its secret or hash. */
export class ApiKeyResponseDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ description: 'The first characters of the key, to recognise it', example: 'tly_Xk3f9QaB' })
  prefix: string;

  @ApiProperty({ enum: [...ROLES] })
  role: Role;

  @ApiProperty({ example: 'alice' })
  subject: string;

  @ApiProperty()
  require_signature: boolean;

  @ApiProperty({ type: String, nullable: true })
  label: string | null;

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  revoked_at: string | null;

  static from(key: ApiKey): ApiKeyResponseDto {
    return Object.assign(new ApiKeyResponseDto(), {
      id: key.id,
      prefix: key.prefix,
      role: key.role,
      subject: key.subject,
      require_signature: key.requireSignature,
      label: key.label,
      created_at: key.createdAt.toISOString(),
      revoked_at: key.revokedAt?.toISOString() ?? null,
    });
  }
}

export class ApiKeyListResponseDto {
  @ApiProperty({ type: [ApiKeyResponseDto] })
  keys: ApiKeyResponseDto[];

  @ApiProperty({ type: String, nullable: true, description: 'the next page, as `cursor`; null on the last page' })
  next_cursor: string | null;
}
