import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, Matches, Max, Min } from 'class-validator';
import { IfPresent, IfPresentAndNotNull, Int64Field } from '@tally/shared';
import {
  TICK_INTERVAL_MAX_MS,
  TICK_INTERVAL_MIN_MS,
  WEIGHT_MESSAGE,
  WEIGHT_PATTERN,
  type WORKLOAD_WEIGHTS,
} from '../../domain';

/** What each workload weight weighs (the figures are normalised over the live provers). */
export const WORKLOAD: Record<(typeof WORKLOAD_WEIGHTS)[number], string> = {
  w_cpu: 'weight of the free cores, cpu_cores × (1 − load_factor) / the most among live provers; decimal string ≥ 0',
  w_ram: 'weight of the free RAM, ram_gb × (1 − load_factor) / the most among live provers; decimal string ≥ 0',
  w_gpu:
    'weight of the free GPU memory, gpu_memory_gb × (1 − load_factor) / the most among live provers; decimal string ≥ 0',
  w_latency:
    "weight of the latency, inverted: the youngest heartbeat age among live provers / this prover's (no latency is reported, the heartbeat age stands in); decimal string ≥ 0",
  w_io: 'weight of the free storage IOPS, storage_iops × (1 − load_factor) / the most among live provers; decimal string ≥ 0',
};

/** The whole config: PUT replaces it (a field left out takes its default; the workload weights default to 0). */
export class PutSchedulerConfigRequestDto {
  @ApiProperty({ example: '1', description: 'weight of the EMA score (score/100), decimal string ≥ 0' })
  @Matches(WEIGHT_PATTERN, { message: WEIGHT_MESSAGE })
  w_score: string;

  @ApiProperty({ example: '1', description: 'weight of the idle share (1 − load_factor), decimal string ≥ 0' })
  @Matches(WEIGHT_PATTERN, { message: WEIGHT_MESSAGE })
  w_load: string;

  @ApiPropertyOptional({ example: '0', default: '0', description: WORKLOAD.w_cpu })
  @IfPresent()
  @Matches(WEIGHT_PATTERN, { message: WEIGHT_MESSAGE })
  w_cpu?: string;

  @ApiPropertyOptional({ example: '0', default: '0', description: WORKLOAD.w_ram })
  @IfPresent()
  @Matches(WEIGHT_PATTERN, { message: WEIGHT_MESSAGE })
  w_ram?: string;

  @ApiPropertyOptional({ example: '1', default: '0', description: WORKLOAD.w_gpu })
  @IfPresent()
  @Matches(WEIGHT_PATTERN, { message: WEIGHT_MESSAGE })
  w_gpu?: string;

  @ApiPropertyOptional({ example: '0', default: '0', description: WORKLOAD.w_latency })
  @IfPresent()
  @Matches(WEIGHT_PATTERN, { message: WEIGHT_MESSAGE })
  w_latency?: string;

  @ApiPropertyOptional({ example: '0', default: '0', description: WORKLOAD.w_io })
  @IfPresent()
  @Matches(WEIGHT_PATTERN, { message: WEIGHT_MESSAGE })
  w_io?: string;

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
