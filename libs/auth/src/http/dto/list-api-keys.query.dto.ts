import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { IDENTIFIER_MESSAGE, PageQueryDto } from '@tally/shared';
import { type Role, ROLES } from '../../decorators/roles.decorator';
import { SUBJECT_PATTERN } from '../../domain/api-key-rules';

/** Filters and page of the key listing (any other query parameter is refused). */
export class ListApiKeysQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: [...ROLES] })
  @IsOptional()
  @IsIn([...ROLES], { message: `role must be one of ${ROLES.join(', ')}` })
  role?: Role;

  @ApiPropertyOptional({ description: "the key's subject, exactly" })
  @IsOptional()
  @Matches(SUBJECT_PATTERN, { message: IDENTIFIER_MESSAGE })
  subject?: string;

  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'only revoked keys (true) or only live ones (false)' })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'revoked must be true or false' })
  revoked?: 'true' | 'false';
}
