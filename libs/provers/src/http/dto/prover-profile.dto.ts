import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateBy,
  ValidateNested,
} from 'class-validator';
import { type HardwareProfile, type ProverCapabilities, STORAGE_TYPES, type ZkAcceleration } from '../../domain';

const FINITE = { allowNaN: false, allowInfinity: false };
const KERNEL = /^[A-Za-z0-9._:+-]{1,64}$/;

/**
 * gpu_model is empty exactly when there is no GPU: a model without GPUs, or GPUs without a
 * model, is a profile no machine has. Left to gpu_count's own rules when that is not a count.
 */
const MatchesGpuCount = () =>
  ValidateBy({
    name: 'matchesGpuCount',
    validator: {
      validate: (model: unknown, args) => {
        const count = (args?.object as { gpu_count?: unknown }).gpu_count;
        if (typeof model !== 'string' || typeof count !== 'number' || !Number.isInteger(count)) return true;
        return (model === '') === (count === 0);
      },
      defaultMessage: () => 'gpu_model must be empty when gpu_count is 0, and name the GPU when gpu_count is 1 or more',
    },
  });

/** Every field required and typed; unknown keys are rejected by the validation pipe. */
export class HardwareProfileDto implements HardwareProfile {
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 4096, example: 32 })
  @IsInt()
  @Min(1)
  @Max(4096)
  cpu_cores: number;

  @ApiProperty({ minLength: 1, maxLength: 128, example: 'AMD EPYC 7763' })
  @IsString()
  @MinLength(1, { message: 'cpu_model must not be empty' })
  @MaxLength(128)
  cpu_model: string;

  @ApiProperty({ type: 'integer', minimum: 0, maximum: 64, example: 1 })
  @IsInt()
  @Min(0)
  @Max(64)
  gpu_count: number;

  @ApiProperty({
    maxLength: 128,
    example: 'NVIDIA A100',
    description: 'empty exactly when there is no GPU (gpu_count 0)',
  })
  @IsString()
  @MaxLength(128)
  @MatchesGpuCount()
  gpu_model: string;

  @ApiProperty({ minimum: 0, maximum: 65536, example: 80 })
  @IsNumber(FINITE)
  @Min(0)
  @Max(65536)
  gpu_memory_gb: number;

  @ApiProperty({ minimum: 0, maximum: 1048576, example: 256 })
  @IsNumber(FINITE)
  @Min(0)
  @Max(1048576)
  ram_gb: number;

  @ApiProperty({ enum: STORAGE_TYPES, example: 'nvme' })
  @IsIn(STORAGE_TYPES)
  storage_type: (typeof STORAGE_TYPES)[number];

  @ApiProperty({ type: 'integer', minimum: 0, maximum: 1000000000, example: 500000 })
  @IsInt()
  @Min(0)
  @Max(1_000_000_000)
  storage_iops: number;

  @ApiProperty({ minimum: 0, maximum: 10000, example: 25 })
  @IsNumber(FINITE)
  @Min(0)
  @Max(10000)
  network_bandwidth_gbps: number;
}

export class ZkAccelerationDto implements ZkAcceleration {
  @ApiProperty()
  @IsBoolean()
  groth16: boolean;

  @ApiProperty()
  @IsBoolean()
  plonk: boolean;

  @ApiProperty()
  @IsBoolean()
  stark: boolean;
}

export class CapabilitiesDto implements ProverCapabilities {
  @ApiProperty()
  @IsBoolean()
  supports_fp32: boolean;

  @ApiProperty()
  @IsBoolean()
  supports_fp16: boolean;

  @ApiProperty()
  @IsBoolean()
  supports_int8: boolean;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: 1000000, example: 64 })
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  max_batch_size: number;

  @ApiProperty({ type: [String], maxItems: 64, uniqueItems: true, example: ['msm', 'ntt'] })
  @IsArray()
  @ArrayMaxSize(64)
  @ArrayUnique({ message: 'supported_kernels must not name a kernel twice' })
  @Matches(KERNEL, {
    each: true,
    message: 'each of supported_kernels must be 1-64 characters of A-Z a-z 0-9 . _ : + -',
  })
  supported_kernels: string[];

  @ApiProperty({ type: ZkAccelerationDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => ZkAccelerationDto)
  zk_acceleration: ZkAccelerationDto;
}
