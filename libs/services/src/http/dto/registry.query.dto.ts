import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, Matches } from 'class-validator';
import { IfPresent } from '@tally/shared';
import { SERVICE_CATEGORIES } from '../../domain';

export class ListServicesQueryDto {
  @ApiPropertyOptional({ enum: SERVICE_CATEGORIES, description: 'only the services of this category' })
  @IfPresent()
  @IsIn(SERVICE_CATEGORIES, { message: `category must be one of ${SERVICE_CATEGORIES.join(', ')}` })
  category?: string;
}

export class ServiceVersionQueryDto {
  @ApiPropertyOptional({ format: 'int64', description: 'an earlier version (default: the current one)' })
  @IfPresent()
  @Matches(/^[1-9][0-9]{0,14}$/, { message: 'version must be a positive integer' })
  version?: string;
}
