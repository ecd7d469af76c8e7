import { ApiProperty } from '@nestjs/swagger';
import { type Role, ROLES } from '../../domain/role';
import type { Principal } from '../../domain/api-key';

export class WhoamiResponseDto {
  @ApiProperty({
    description: "the API key's id (a UUID), or for a JWT `jwt:` and its jti (or its SHA-256 without one)",
    example: '0b6f3c1e-8a1d-4c39-9d7e-2f4b5a6c7d8e',
  })
  key_id: string;

  @ApiProperty({ enum: [...ROLES] })
  role: Role;

  @ApiProperty({ example: 'alice' })
  subject: string;

  static from(principal: Principal): WhoamiResponseDto {
    return Object.assign(new WhoamiResponseDto(), {
      key_id: principal.keyId,
      role: principal.role,
      subject: principal.subject,
    });
  }
}
