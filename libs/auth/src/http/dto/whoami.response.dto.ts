import { ApiProperty } from '@nestjs/swagger';
import { type Role, ROLES } from '../../domain/role';
import type { Principal } from '../../domain/api-key';

export class WhoamiResponseDto {
  @ApiProperty({ format: 'uuid' })
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
