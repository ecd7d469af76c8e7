import { ApiProperty } from '@nestjs/swagger';
import { SealedBatchResponseDto } from '@tally/settlement';
import { LedgerVerifyRunResponseDto } from '../ledger-verify/ledger-verify-run.response.dto';

const INT64 = { type: String, format: 'int64' } as const;
const NULLABLE_TIME = { type: String, format: 'date-time', nullable: true } as const;

class ProversByStateDto {
  @ApiProperty({ type: 'integer', description: 'active, with a live heartbeat' }) online: number;
  @ApiProperty({ type: 'integer', description: 'draining, with a live heartbeat' }) draining: number;
  @ApiProperty({ type: 'integer', description: 'offline, or silent past the liveness TTL' }) offline: number;
}

class MinuteRateDto {
  @ApiProperty({ format: 'date-time', description: 'the minute it starts' }) minute: string;
  @ApiProperty({ type: 'integer', description: 'transfers written in the minute' }) transfers: number;
  @ApiProperty({ type: 'integer', description: 'jobs that completed, failed or were cancelled in the minute' })
  lifecycles: number;
}

class BatchSinkDeliveryDto {
  @ApiProperty() sink: string;
  @ApiProperty({ enum: ['pending', 'delivered', 'failed'] }) state: string;
  @ApiProperty({ type: 'integer' }) attempts: number;
  @ApiProperty({ type: String, nullable: true }) last_error: string | null;
  @ApiProperty(NULLABLE_TIME) delivered_at: string | null;
}

/** The last sealed batch, as GET /v1/settlement/batches/{n} answers it, with each sink's delivery of it. */
class OverviewBatchDto extends SealedBatchResponseDto {
  @ApiProperty({ type: 'integer', description: 'its batch_no' }) n: number;
  @ApiProperty({ format: 'date-time', description: 'its created_at' }) sealed_at: string;
  @ApiProperty({ type: [BatchSinkDeliveryDto] }) sinks: BatchSinkDeliveryDto[];
}

export class OverviewResponseDto {
  @ApiProperty({ ...INT64, description: 'credits minted and not burned (minus the issuance balance)' })
  total_supply_micros: string;
  @ApiProperty({ ...INT64, description: 'held in escrow for jobs and holds in flight' }) escrow_micros: string;
  @ApiProperty({ ...INT64, description: "the platform account's balance: fees and spends, less rewards paid" })
  platform_revenue_micros: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string', format: 'int64' },
    description: 'the balances (posted and pending) of all accounts of each kind; they sum to zero',
    example: { issuance: '-50000000', user: '45000000', escrow: '1000000', platform: '4000000' },
  })
  liabilities_by_kind: Record<string, string>;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    description: 'how many jobs are in each status (statuses with none are left out)',
    example: { PENDING: 2, COMPLETED: 40 },
  })
  jobs_by_status: Record<string, number>;
  @ApiProperty({ type: ProversByStateDto }) provers_by_state: ProversByStateDto;
  @ApiProperty({ type: [MinuteRateDto], description: 'the last 60 minutes (this one last), oldest first' })
  rates: MinuteRateDto[];
  @ApiProperty({ type: OverviewBatchDto, nullable: true, description: 'null before the first seal' })
  last_batch: OverviewBatchDto | null;
  @ApiProperty({ type: LedgerVerifyRunResponseDto, nullable: true, description: 'null before the first run' })
  last_verify: LedgerVerifyRunResponseDto | null;
}
