import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, Matches, Max, Min } from 'class-validator';
import { IfPresent, IfPresentAndNotNull, Int64Field } from '@tally/shared';
import { TICK_INTERVAL_MAX_MS, TICK_INTERVAL_MIN_MS, WEIGHT_MESSAGE, WEIGHT_PATTERN } from '../../domain';

/** The whole config: PUT replaces it (a field left out takes its default). */
export class PutSchedulerConfigRequestDto {
  @ApiProperty({ example: '1', description: 'weight of the EMA score (score/100), decimal string ≥ 0' })
  @Matches(WEIGHT_PATTERN, { message: WEIGHT_MESSAGE })
  w_score: string;

  @ApiProperty({ example: '1', description: 'weight of the idle share (1 − load_factor), decimal string ≥ 0' })
  @Matches(WEIGHT_PATTERN, { message: WEIGHT_MESSAGE })
  w_load: string;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: TICK_INTERVAL_MIN_MS,
    maximum: TICK_INTERVAL_MAX_MS,
    nullable: true,
    description: 'assignment tick interval; null or absent: SCHEDULER_TICK_MS',
  })
  @IfPresentAndNotNull()
  @IsInt()
  @Min(TICK_INTERVAL_MIN_MS)
  @Max(TICK_INTERVAL_MAX_MS)
  tick_interval_ms?: number | null;

  @ApiPropertyOptional({
    type: 'string',
    pattern: '^[0-9]+$',
    example: '3',
    description:
      'an int64 (a decimal string, or a JSON integer) from 0 to 2147483647: the version being replaced: a different stored version is DSE-005 (409), except that sending the ' +
      'config already in force again succeeds without a new version when this one is not ahead of it (a replay)',
  })
  @IfPresent()
  @Int64Field()
  version?: string;
}

export class PlacementQueryDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 16,
    default: 3,
    description: 'how many provers (replication factor)',
  })
  @IfPresent()
  @Matches(/^([1-9]|1[0-6])$/, { message: 'rf must be an integer from 1 to 16' })
  rf?: string;
}
