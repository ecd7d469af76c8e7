import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { type Role, ROLES } from '../../decorators/roles.decorator';

/** Filters of the key listing (any other query parameter is refused). */
export class ListApiKeysQueryDto {
  @ApiPropertyOptional({ enum: [...ROLES] })
  @IsOptional()
  @IsIn([...ROLES], { message: `role must be one of ${ROLES.join(', ')}` })
  role?: Role;

  @ApiPropertyOptional({ description: "the key's subject, exactly" })
  @IsOptional()
  @Matches(/^[A-Za-z0-9._:@-]{1,128}$/, { message: 'subject may contain only A-Z a-z 0-9 . _ : @ - (1-128)' })
  subject?: string;

  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'only revoked keys (true) or only live ones (false)' })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'revoked must be true or false' })
  revoked?: 'true' | 'false';
}
