import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsDefined,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { IDENTIFIER_MESSAGE, IDENTIFIER_PATTERN, IfPresent, IsJobId, JobIdField, PageQueryDto } from '@tally/shared';
import { PROVER_STATES, type ProverState } from '../../domain';
import { CapabilitiesDto, HardwareProfileDto } from './prover-profile.dto';

/** Prover ids are the shared identifier (as job and account owner ids are). */
export const PROVER_ID = IDENTIFIER_PATTERN;
const REGION = /^[A-Za-z0-9._-]{1,64}$/;
const REGION_MESSAGE = 'region must be 1-64 characters of A-Z a-z 0-9 . _ -';
const FINITE = { allowNaN: false, allowInfinity: false };
/** The most jobs a prover may run at once (its max_concurrency), so the most a heartbeat may list. */
const MAX_CONCURRENCY = 1024;
/** The slowest round trip a heartbeat may report: ten minutes. */
const MAX_LATENCY_MS = 600_000;

export class RegisterProverRequestDto {
  @ApiProperty({ example: 'prover-eu-1' })
  @Matches(PROVER_ID, { message: IDENTIFIER_MESSAGE })
  prover_id: string;

  @ApiProperty({ type: HardwareProfileDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => HardwareProfileDto)
  hardware_profile: HardwareProfileDto;

  @ApiProperty({ type: CapabilitiesDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => CapabilitiesDto)
  capabilities: CapabilitiesDto;

  @ApiPropertyOptional({ example: 'eu-west-1' })
  @IfPresent()
  @Matches(REGION, { message: REGION_MESSAGE })
  region?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_CONCURRENCY, default: 1 })
  @IfPresent()
  @IsInt()
  @Min(1)
  @Max(MAX_CONCURRENCY)
  max_concurrency?: number;
}

/**
 * Load (and the jobs running) is what a heartbeat must say; the profile and capabilities
 * were given at registration, so a heartbeat that leaves them out keeps them. One that
 * gives them replaces them, checked as a registration checks them.
 */
export class HeartbeatRequestDto {
  @ApiPropertyOptional({ type: HardwareProfileDto, description: 'left out: the registered profile is kept' })
  @IfPresent()
  @IsObject()
  @ValidateNested()
  @Type(() => HardwareProfileDto)
  hardware_profile?: HardwareProfileDto;

  @ApiProperty({ minimum: 0, maximum: 1, example: 0.25 })
  @IsNumber(FINITE)
  @Min(0)
  @Max(1)
  load_factor: number;

  @ApiPropertyOptional({ type: CapabilitiesDto, description: 'left out: the registered capabilities are kept' })
  @IfPresent()
  @IsObject()
  @ValidateNested()
  @Type(() => CapabilitiesDto)
  capabilities?: CapabilitiesDto;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: MAX_LATENCY_MS,
    example: 40,
    description:
      "The prover's measured latency in ms (w_latency prefers the lowest). Left out: the last reported one is kept.",
  })
  @IfPresent()
  @IsInt()
  @Min(0)
  @Max(MAX_LATENCY_MS)
  latency_ms?: number;

  @ApiPropertyOptional({
    type: 'string',
    format: 'int64',
    isArray: true,
    maxItems: MAX_CONCURRENCY,
    description:
      'The network job ids this prover is running now, each listed until its result is acknowledged. A job the ' +
      'server has RUNNING on this prover, started more than PROVER_START_ACK_GRACE_MS before this heartbeat and ' +
      'not listed, is given back (its poll answer was lost): ASSIGNED again, returned by the next poll, named in ' +
      'released_jobs. Absent: not reported, nothing is given back (older agents); []: none running.',
  })
  @IfPresent()
  @JobIdField()
  @IsArray()
  @ArrayMaxSize(MAX_CONCURRENCY)
  @IsJobId({ each: true })
  running_jobs?: string[];
}

/** Query strings carry text: "5" means 5 (anything else is left for the validator to reject). */
const toNumber = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^\d+(\.\d+)?$/.test(value) ? Number(value) : value;

/** The body: max_wait_seconds a JSON number, like every number in a body. */
export class PollRequestDto {
  @ApiPropertyOptional({ minimum: 0, maximum: 30, default: 0, description: 'long poll: wait up to this long' })
  @IfPresent()
  @IsNumber(FINITE)
  @Min(0)
  @Max(30)
  max_wait_seconds?: number;
}

/** The query string: the same, written in digits. */
export class PollQueryDto {
  @ApiPropertyOptional({ minimum: 0, maximum: 30, default: 0, description: 'long poll: wait up to this long' })
  @IfPresent()
  @Transform(toNumber)
  @IsNumber(FINITE)
  @Min(0)
  @Max(30)
  max_wait_seconds?: number;
}

export class ListProversQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: PROVER_STATES })
  @IfPresent()
  @IsIn(PROVER_STATES)
  state?: ProverState;

  @ApiPropertyOptional()
  @IfPresent()
  @Matches(REGION, { message: REGION_MESSAGE })
  region?: string;
}

export const SCORE_HISTORY_LIMIT_DEFAULT = 100;
const SCORE_HISTORY_LIMIT = /^(?:[1-9]\d{0,2}|1000)$/;

export class ScoreHistoryQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 1000, default: SCORE_HISTORY_LIMIT_DEFAULT })
  @IfPresent()
  @Matches(SCORE_HISTORY_LIMIT, { message: 'limit must be an integer from 1 to 1000' })
  limit?: string;
}

/** An amount of credits to bond or unbond. */
export class StakeAmountRequestDto {
  @ApiProperty({ example: '100', description: 'credits, a decimal string with at most 6 fractional digits (> 0)' })
  @Matches(/^(0|[1-9]\d*)(\.\d{1,6})?$/, {
    message: 'amount must be a decimal string with at most 6 fractional digits, like "12.5"',
  })
  amount: string;
}
