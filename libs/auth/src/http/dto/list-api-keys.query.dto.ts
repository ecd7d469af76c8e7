import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, Matches } from 'class-validator';
import { IDENTIFIER_MESSAGE, IfPresent, PageQueryDto } from '@tally/shared';
import { type Role, ROLES } from '../../domain/role';
import { SUBJECT_PATTERN } from '../../domain/api-key-rules';

/** Filters and page of the key listing (any other query parameter is refused). */
export class ListApiKeysQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: [...ROLES] })
  @IfPresent()
  @IsIn([...ROLES], { message: `role must be one of ${ROLES.join(', ')}` })
  role?: Role;

  @ApiPropertyOptional({ description: "the key's subject, exactly" })
  @IfPresent()
  @Matches(SUBJECT_PATTERN, { message: IDENTIFIER_MESSAGE })
  subject?: string;

  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'only revoked keys (true) or only live ones (false)' })
  @IfPresent()
  @IsIn(['true', 'false'], { message: 'revoked must be true or false' })
  revoked?: 'true' | 'false';
}
