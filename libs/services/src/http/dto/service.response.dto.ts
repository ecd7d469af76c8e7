import { ApiProperty } from '@nestjs/swagger';

/** A price schedule as presentService writes it: credits and factors as exact decimal strings. */
export class ServiceResponseDto {
  @ApiProperty() id: string;
  @ApiProperty({ description: 'credits per unit, a decimal string', example: '0.25' }) price_per_unit: string;
  @ApiProperty({ example: 'gpu_second' }) unit: string;
  @ApiProperty({ description: 'a decimal string', example: '1' }) size_factor: string;
  @ApiProperty({ description: 'credits, a decimal string' }) minimum_charge: string;
  @ApiProperty({
    type: 'object',
    description: 'what a prover needs to run it',
    properties: {
      gpu_count: { type: 'integer' },
      gpu_memory_gb: { type: 'number' },
      ram_gb: { type: 'number' },
      cpu_cores: { type: 'integer' },
      supported_kernels: { type: 'array', items: { type: 'string' } },
      zk_acceleration: { type: 'array', items: { type: 'string' } },
    },
  })
  hardware_requirements: Record<string, unknown>;
  @ApiProperty({ type: String, nullable: true }) description: string | null;
  @ApiProperty({ format: 'int64', description: '1 when created, one more on every replacement' }) version: string;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
}

export class ServiceListResponseDto {
  @ApiProperty({ type: [ServiceResponseDto] }) items: ServiceResponseDto[];
}
