import { ApiProperty } from '@nestjs/swagger';
import { METERED_REFUNDS, type MeteredRefund, SERVICE_CATEGORIES } from '../../domain';

const HARDWARE = {
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
} as const;
const SCHEMA = { type: 'object', additionalProperties: true } as const;
const VERSION = { format: 'int64', description: '1 when created, one more on every replacement' } as const;

/** A price schedule as presentService writes it: credits and factors as exact decimal strings. */
export class ServiceResponseDto {
  @ApiProperty() id: string;
  @ApiProperty({ description: 'credits per unit, a decimal string', example: '0.25' }) price_per_unit: string;
  @ApiProperty({ example: 'gpu_second' }) unit: string;
  @ApiProperty({ description: 'a decimal string', example: '1' }) size_factor: string;
  @ApiProperty({ description: 'credits, a decimal string' }) minimum_charge: string;
  @ApiProperty(HARDWARE)
  hardware_requirements: Record<string, unknown>;
  @ApiProperty({ type: String, nullable: true }) description: string | null;
  @ApiProperty({ enum: SERVICE_CATEGORIES }) category: string;
  @ApiProperty({
    type: 'integer',
    nullable: true,
    description: "the platform's fee on this service's jobs, in basis points; null: the platform default",
  })
  fee_bps: number | null;
  @ApiProperty({
    type: 'integer',
    description: "the part of the provers' pool, in basis points, shared by every replica that reported (the base)",
  })
  base_share_bps: number;
  @ApiProperty({
    type: String,
    format: 'int64',
    nullable: true,
    description: "the bonded stake (micros) a prover needs to be given this service's jobs; null: none",
  })
  min_stake_micros: string | null;
  @ApiProperty({
    type: 'integer',
    description: "basis points of a dissenting replica's bonded stake slashed at settlement (0: none)",
  })
  slash_dissent_bps: number;
  @ApiProperty({
    type: 'integer',
    description: 'basis points of the bonded stake slashed from a prover that went silent holding a job (0: none)',
  })
  slash_timeout_bps: number;
  @ApiProperty({
    type: String,
    format: 'int64',
    nullable: true,
    description: 'the most one slash takes, in micros; null: no cap',
  })
  slash_cap_micros: string | null;
  @ApiProperty({
    enum: METERED_REFUNDS,
    description: 'what a failed or cancelled metered job gives back: earned (reported usage stays paid) or all',
  })
  metered_refund: MeteredRefund;
  @ApiProperty({
    type: 'integer',
    description:
      'basis points of the bonded stake slashed from each rewarded prover of a job refunded in a dispute (0: none)',
  })
  slash_dispute_bps: number;
  @ApiProperty({
    type: 'integer',
    nullable: true,
    description:
      "how long a completed job's rewards stay pending and open to its client's dispute, in seconds; " +
      'null: the platform default (DISPUTE_WINDOW_SECONDS)',
  })
  dispute_window_seconds: number | null;
  @ApiProperty(VERSION) version: string;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
}

export class ServiceListResponseDto {
  @ApiProperty({ type: [ServiceResponseDto] }) items: ServiceResponseDto[];
}

/** A service's schemas (GET …/{id}/schema). */
export class ServiceSchemaResponseDto {
  @ApiProperty() id: string;
  @ApiProperty(VERSION) version: string;
  @ApiProperty({ ...SCHEMA, description: 'JSON Schema (draft 2020-12) of a job input' })
  input_schema: Record<string, unknown>;
  @ApiProperty({ ...SCHEMA, description: 'JSON Schema (draft 2020-12) of the result metadata' })
  result_schema: Record<string, unknown>;
  @ApiProperty({ nullable: true, description: 'an input that satisfies input_schema' }) example: unknown;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    example: { multiply: ['/max_tokens'], scale: '1' },
    description: 'which body fields of a typed request give its units (null: no typed endpoint)',
  })
  units_rule: Record<string, unknown> | null;
}

/** A service's hardware requirements (GET …/{id}/requirements). */
export class ServiceRequirementsResponseDto {
  @ApiProperty() id: string;
  @ApiProperty(VERSION) version: string;
  @ApiProperty(HARDWARE) hardware_requirements: Record<string, unknown>;
}
