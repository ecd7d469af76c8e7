import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import {
  CREDITS_MESSAGE,
  CREDITS_PATTERN,
  DECIMAL_MESSAGE,
  DECIMAL_PATTERN,
  DESCRIPTION_MAX_LENGTH,
  type HardwareRequirements,
  UNIT_MESSAGE,
  UNIT_PATTERN,
} from '../../domain';

/** Present means validated: an explicit null is as wrong as a value of the wrong type. */
const IfPresent = () => ValidateIf((_object: object, value: unknown) => value !== undefined);
const FINITE = { allowNaN: false, allowInfinity: false };
const LIST_MAX = 64;
const NAME_MAX = 64;

/** Every key optional; unknown keys are rejected by the validation pipe (forbidNonWhitelisted). */
export class HardwareRequirementsDto implements HardwareRequirements {
  @ApiPropertyOptional({ minimum: 0, example: 1 })
  @IfPresent()
  @IsInt()
  @Min(0)
  gpu_count?: number;

  @ApiPropertyOptional({ minimum: 0, example: 24 })
  @IfPresent()
  @IsNumber(FINITE)
  @Min(0)
  gpu_memory_gb?: number;

  @ApiPropertyOptional({ minimum: 0, example: 64 })
  @IfPresent()
  @IsNumber(FINITE)
  @Min(0)
  ram_gb?: number;

  @ApiPropertyOptional({ minimum: 0, example: 8 })
  @IfPresent()
  @IsNumber(FINITE)
  @Min(0)
  cpu_cores?: number;

  @ApiPropertyOptional({ type: [String], example: ['cuda-12'], maxItems: LIST_MAX })
  @IfPresent()
  @IsArray()
  @ArrayMaxSize(LIST_MAX)
  @IsString({ each: true })
  @MinLength(1, { each: true })
  @MaxLength(NAME_MAX, { each: true })
  supported_kernels?: string[];

  @ApiPropertyOptional({ type: [String], example: ['msm', 'ntt'], maxItems: LIST_MAX })
  @IfPresent()
  @IsArray()
  @ArrayMaxSize(LIST_MAX)
  @IsString({ each: true })
  @MinLength(1, { each: true })
  @MaxLength(NAME_MAX, { each: true })
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
  @IsObject()
  @ValidateNested()
  @Type(() => HardwareRequirementsDto)
  hardware_requirements: HardwareRequirementsDto;

  @ApiPropertyOptional({ type: String, maxLength: DESCRIPTION_MAX_LENGTH, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(DESCRIPTION_MAX_LENGTH)
  description?: string | null;
}
