import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsString, Length, Matches, MaxLength } from 'class-validator';
import { IfPresent } from '@tally/shared';
import { type Role, ROLES } from '../../domain/role';
import { MAX_LABEL_LENGTH } from '../../domain/api-key-rules';

export class CreateApiKeyRequestDto {
  @ApiProperty({ enum: [...ROLES], example: 'client' })
  @IsIn([...ROLES], { message: `role must be one of ${ROLES.join(', ')}` })
  role: Role;

  @ApiProperty({
    description: "Whose key it is: the client's owner id, the prover id, or any label for an admin",
    example: 'alice',
    minLength: 1,
    maxLength: 128,
    pattern: '^[A-Za-z0-9._:@-]+$',
  })
  @IsString()
  @Length(1, 128)
  @Matches(/^[A-Za-z0-9._:@-]+$/, { message: 'subject may contain only A-Z a-z 0-9 . _ : @ -' })
  subject: string;

  @ApiPropertyOptional({
    description:
      'Prover keys only: every request must carry X-Timestamp and X-Signature, a hex HMAC-SHA256 ' +
      'keyed with the hex SHA-256 of the API key (see the created key description)',
    default: false,
  })
  @IfPresent()
  @IsBoolean()
  require_signature?: boolean;

  @ApiPropertyOptional({ description: 'A note for operators', maxLength: MAX_LABEL_LENGTH })
  @IfPresent()
  @IsString()
  @MaxLength(MAX_LABEL_LENGTH)
  label?: string;
}
