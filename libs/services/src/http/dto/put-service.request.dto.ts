import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsObject, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import {
  BPS_MAX,
  CREDITS_MESSAGE,
  CREDITS_PATTERN,
  DECIMAL_MESSAGE,
  DECIMAL_PATTERN,
  DESCRIPTION_MAX_LENGTH,
  MAX_DISPUTE_WINDOW_SECONDS,
  type HardwareRequirements,
  METERED_REFUNDS,
  type MeteredRefund,
  SERVICE_CATEGORIES,
  UNIT_MESSAGE,
  UNIT_PATTERN,
} from '../../domain';
import { IfPresent, IfPresentAndNotNull } from '@tally/shared';

const LIST_MAX = 64;

/**
 * The shape of hardware_requirements, for the OpenAPI document. They are checked as sent
 * (serviceScheduleSpec), with the rules of a job's requirements: no nested DTO, because
 * class-transformer would drop keys such as "toString" before the check could see them.
 */
export class HardwareRequirementsDto implements HardwareRequirements {
  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 64, example: 1 })
  gpu_count?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 65536, example: 24 })
  gpu_memory_gb?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 1048576, example: 64 })
  ram_gb?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 4096, example: 8 })
  cpu_cores?: number;

  @ApiPropertyOptional({
    type: [String],
    example: ['cuda-12'],
    maxItems: LIST_MAX,
    description: 'kernels the prover must all support: each 1-64 characters of A-Z a-z 0-9 . _ : + -',
  })
  supported_kernels?: string[];

  @ApiPropertyOptional({
    type: [String],
    enum: ['groth16', 'plonk', 'stark'],
    example: ['groth16', 'plonk'],
    description: 'zk proof systems the prover must all accelerate',
  })
  zk_acceleration?: string[];
}

/** The whole schedule: PUT creates or replaces it. */
export class PutServiceRequestDto {
  @ApiProperty({ example: '0.25', description: 'credits per unit, > 0, at most 6 fractional digits' })
  @Matches(CREDITS_PATTERN, { message: CREDITS_MESSAGE })
  price_per_unit: string;

  @ApiProperty({ example: 'gpu_second', pattern: UNIT_PATTERN.source })
  @Matches(UNIT_PATTERN, { message: UNIT_MESSAGE })
  unit: string;

  @ApiProperty({ example: '1.5', description: 'multiplier > 0, at most 6 fractional digits' })
  @Matches(DECIMAL_PATTERN, { message: DECIMAL_MESSAGE })
  size_factor: string;

  @ApiProperty({ example: '0.5', description: 'credits charged per replica at least, ≥ 0' })
  @Matches(CREDITS_PATTERN, { message: CREDITS_MESSAGE })
  minimum_charge: string;

  @ApiProperty({ type: HardwareRequirementsDto })
  @Transform(({ obj, key }) => (obj as Record<string, unknown>)[key]) // as sent: see HardwareRequirementsDto
  @IsObject()
  hardware_requirements: HardwareRequirementsDto;

  @ApiPropertyOptional({ type: String, maxLength: DESCRIPTION_MAX_LENGTH, nullable: true })
  @IfPresentAndNotNull()
  @IsString()
  @MaxLength(DESCRIPTION_MAX_LENGTH)
  description?: string | null;

  @ApiPropertyOptional({ enum: SERVICE_CATEGORIES, default: 'development-tools' })
  @IfPresent()
  @IsIn(SERVICE_CATEGORIES, { message: `$property must be one of ${SERVICE_CATEGORIES.join(', ')}` })
  category?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'JSON Schema (draft 2020-12) of a job input; default {"type":"object"}',
  })
  @Transform(({ obj, key }) => (obj as Record<string, unknown>)[key]) // as sent: compiled by the validator
  @IfPresent()
  @IsObject()
  input_schema?: Record<string, unknown>;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'JSON Schema (draft 2020-12) of the result metadata; default {"type":"object"}',
  })
  @Transform(({ obj, key }) => (obj as Record<string, unknown>)[key])
  @IfPresent()
  @IsObject()
  result_schema?: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'an input that satisfies input_schema' })
  @Transform(({ obj, key }) => (obj as Record<string, unknown>)[key])
  @IfPresent()
  example?: unknown;

  @ApiPropertyOptional({
    type: String,
    format: 'int64',
    nullable: true,
    example: '100000000',
    description: "the bonded stake (micros) a prover needs to be given this service's jobs; left out or null: none",
  })
  @IfPresentAndNotNull()
  @Matches(/^(0|[1-9][0-9]{0,18})$/, { message: '$property must be an integer string from 0 to 9223372036854775807' })
  min_stake_micros?: string | null;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    example: { multiply: ['/max_tokens'], scale: '1' },
    description:
      'which fields of a typed request (POST /v1/services/{service}/{action}) give its units: scale × the ' +
      'product of factors, each a JSON pointer into the body ("/max_tokens"), {"pointer", "default"}, ' +
      '{"span": [start, end]} (end − start + 1) or {"count": pointer} (a length); left out, the service ' +
      'has no typed endpoint',
  })
  @Transform(({ obj, key }) => (obj as Record<string, unknown>)[key]) // as sent: checked against input_schema
  @IfPresent()
  @IsObject()
  units_rule?: Record<string, unknown>;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: BPS_MAX,
    nullable: true,
    example: 500,
    description:
      "the platform's fee on this service's jobs, in basis points of the captured cost (rounded down to the " +
      'micro); left out or null, the platform default (PLATFORM_FEE_BPS)',
  })
  @IfPresentAndNotNull()
  @IsInt()
  @Min(0)
  @Max(BPS_MAX)
  fee_bps?: number | null;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: BPS_MAX,
    default: 0,
    example: 3000,
    description:
      "the part of the provers' pool, in basis points, shared in equal parts by every replica that reported a " +
      'result (the base); the rest goes in equal parts to the majority (the bonus). 0: the majority shares it all',
  })
  @IfPresent()
  @IsInt()
  @Min(0)
  @Max(BPS_MAX)
  base_share_bps?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: BPS_MAX,
    default: 0,
    example: 1000,
    description:
      "basis points of a replica's bonded stake slashed when it reported a successful result the majority " +
      'rejected (rounded down, at most slash_cap_micros); 0: no slash',
  })
  @IfPresent()
  @IsInt()
  @Min(0)
  @Max(BPS_MAX)
  slash_dissent_bps?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: BPS_MAX,
    default: 0,
    example: 500,
    description:
      'basis points of the bonded stake slashed from a prover that went silent holding one of these jobs ' +
      '(rounded down, at most slash_cap_micros); 0: no slash',
  })
  @IfPresent()
  @IsInt()
  @Min(0)
  @Max(BPS_MAX)
  slash_timeout_bps?: number;

  @ApiPropertyOptional({
    type: String,
    format: 'int64',
    nullable: true,
    example: '5000000',
    description: 'the most one slash takes, in micros; left out or null: no cap',
  })
  @IfPresentAndNotNull()
  @Matches(/^(0|[1-9][0-9]{0,18})$/, { message: '$property must be an integer string from 0 to 9223372036854775807' })
  slash_cap_micros?: string | null;

  @ApiPropertyOptional({
    enum: METERED_REFUNDS,
    default: 'earned',
    description:
      'what a failed or cancelled metered job gives back: earned (usage already reported stays paid) or all ' +
      "(everything goes back to the client; the prover's share of each report is held until the job completes)",
  })
  @IfPresent()
  @IsIn([...METERED_REFUNDS], { message: 'metered_refund must be "earned" or "all"' })
  metered_refund?: MeteredRefund;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: BPS_MAX,
    default: 0,
    example: 2000,
    description:
      'basis points of the bonded stake slashed from each prover rewarded for a job an admin refunds in a dispute ' +
      '(rounded down, at most slash_cap_micros); 0: no slash',
  })
  @IfPresent()
  @IsInt()
  @Min(0)
  @Max(BPS_MAX)
  slash_dispute_bps?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: MAX_DISPUTE_WINDOW_SECONDS,
    nullable: true,
    example: 86400,
    description:
      "how long a completed job's rewards stay pending (held for its provers) and open to its client's dispute, in " +
      'seconds; 0: paid at once, no dispute; left out or null: the platform default (DISPUTE_WINDOW_SECONDS)',
  })
  @IfPresentAndNotNull()
  @IsInt()
  @Min(0)
  @Max(MAX_DISPUTE_WINDOW_SECONDS)
  dispute_window_seconds?: number | null;
}
