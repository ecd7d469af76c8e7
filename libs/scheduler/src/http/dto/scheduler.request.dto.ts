import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, Matches, Max, Min } from 'class-validator';
import { IfPresent, IfPresentAndNotNull, INT32_MAX } from '@tally/shared';
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
    type: 'integer',
    minimum: 0,
    maximum: INT32_MAX,
    description:
      'the version being replaced: a different stored version is DSE-005 (409), except that sending the ' +
      'config already in force again succeeds without a new version when this one is not ahead of it (a replay)',
  })
  @IfPresent()
  @IsInt()
  @Min(0)
  @Max(INT32_MAX) // the version column is an integer
  version?: number;
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
