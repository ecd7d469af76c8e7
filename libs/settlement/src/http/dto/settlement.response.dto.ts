import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { BATCH_DOMAIN, SETTLEMENT_VERSIONS, TRANSFER_DOMAIN } from '@tally/receipts';

// The signed documents as their offline verifiers read them (libs/receipts/src/offline/batch.ts).

const HEX = { description: 'hex SHA-256' } as const;
const MICROS = { type: String, description: 'micros, a decimal string' } as const;
const NULLABLE_TIME = { type: String, format: 'date-time', nullable: true } as const;

export class SealedBatchResponseDto {
  @ApiProperty({ enum: [BATCH_DOMAIN] }) domain: string;
  @ApiProperty({ type: 'integer', enum: SETTLEMENT_VERSIONS }) version: number;
  @ApiProperty({ type: 'integer' }) batch_no: number;
  @ApiProperty(HEX) prev_batch_hash: string;
  @ApiProperty({ description: 'the transaction-id horizon the batch ends below' }) horizon: string;
  @ApiProperty({ format: 'int64' }) first_seq: string;
  @ApiProperty({ format: 'int64' }) last_seq: string;
  @ApiProperty({ type: 'integer' }) transfer_count: number;
  @ApiProperty(HEX) transfers_root: string;
  @ApiProperty({ ...HEX, description: 'root of the Merkle sum tree of every balance' }) balances_root: string;
  @ApiProperty({ type: 'integer' }) account_count: number;
  @ApiProperty(MICROS) total_supply: string;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty() key_id: string;
  @ApiProperty(HEX) batch_hash: string;
  @ApiProperty({ description: 'Ed25519 over the canonical statement, hex' }) signature: string;
}

export class SealResponseDto {
  @ApiProperty({ description: 'false when nothing new committed below the horizon since the last batch' })
  sealed: boolean;
  @ApiPropertyOptional({ type: SealedBatchResponseDto, description: 'the new batch (when sealed)' })
  batch?: SealedBatchResponseDto;
  @ApiPropertyOptional({ description: 'why nothing was sealed' }) detail?: string;
}

export class BatchPageResponseDto {
  @ApiProperty({ type: [SealedBatchResponseDto] }) items: SealedBatchResponseDto[];
  @ApiProperty({ type: String, nullable: true, description: 'the cursor of the next page; null on the last' })
  next_cursor: string | null;
}

class TransferLegDto {
  @ApiProperty() account_type: string;
  @ApiProperty() account_id: string;
  @ApiProperty({ enum: ['D', 'C'] }) side: string;
  @ApiProperty({ enum: ['posted', 'pending', 'release'] }) phase: string;
  @ApiProperty(MICROS) amount: string;
}

class TransferStatementDto {
  @ApiProperty({ enum: [TRANSFER_DOMAIN] }) domain: string;
  @ApiProperty({ type: 'integer' }) version: number;
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'int64' }) seq: string;
  @ApiProperty() kind: string;
  @ApiProperty(MICROS) amount: string;
  @ApiProperty({ type: String, nullable: true }) hold_id: string | null;
  @ApiProperty({ type: String, nullable: true }) job_id: string | null;
  @ApiProperty({ type: String, nullable: true }) prover_id: string | null;
  @ApiProperty({ description: 'UTC with microseconds' }) created_at: string;
  @ApiProperty({ type: [TransferLegDto] }) legs: TransferLegDto[];
}

export class TransferProofResponseDto {
  @ApiProperty({ type: 'integer' }) batch_no: number;
  @ApiProperty({ type: TransferStatementDto }) transfer: TransferStatementDto;
  @ApiProperty(HEX) transfer_hash: string;
  @ApiProperty({ type: 'integer' }) leaf_index: number;
  @ApiProperty({ type: 'integer' }) leaf_count: number;
  @ApiProperty({ type: [String], description: 'hex hashes, leaf level first' }) siblings: string[];
  @ApiProperty(HEX) transfers_root: string;
}

class SumNodeDto {
  @ApiProperty(HEX) hash: string;
  @ApiProperty(MICROS) sum: string;
}

export class AccountProofResponseDto {
  @ApiProperty({ type: 'integer' }) batch_no: number;
  @ApiProperty() account_type: string;
  @ApiProperty() account_id: string;
  @ApiProperty({ ...MICROS, description: 'the posted balance after the batch, micros' }) balance: string;
  @ApiProperty({ type: 'integer' }) leaf_index: number;
  @ApiProperty({ type: 'integer' }) leaf_count: number;
  @ApiProperty({ type: [SumNodeDto], description: 'leaf level first' }) siblings: SumNodeDto[];
  @ApiProperty(HEX) balances_root: string;
  @ApiProperty(MICROS) total_supply: string;
}

class LastBatchDto {
  @ApiProperty({ type: 'integer' }) batch_no: number;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ type: 'integer' }) transfer_count: number;
}

class SinkStatusDto {
  @ApiProperty() name: string;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'primary, secondary or emergency: its place in the chain; null when no longer configured',
  })
  tier: string | null;
  @ApiProperty({ type: String, nullable: true }) target: string | null;
  @ApiProperty() configured: boolean;
  @ApiProperty({ type: 'integer' }) pending: number;
  @ApiProperty({ type: 'integer' }) failed: number;
  @ApiProperty({ type: 'integer', nullable: true }) last_delivered_batch_no: number | null;
  @ApiProperty(NULLABLE_TIME) last_delivered_at: string | null;
  @ApiProperty({ type: 'integer', nullable: true }) next_batch_no: number | null;
  @ApiProperty(NULLABLE_TIME) next_attempt_at: string | null;
  @ApiProperty({ type: 'integer', nullable: true }) attempts: number | null;
  @ApiProperty({ type: String, nullable: true }) last_error: string | null;
}

export class SettlementStatusResponseDto {
  @ApiProperty() enabled: boolean;
  @ApiProperty() seal_cron: string;
  @ApiProperty({ type: LastBatchDto, nullable: true }) last_batch: LastBatchDto | null;
  @ApiProperty({ type: 'integer', description: 'transfers not yet in a batch' }) pending_count: number;
  @ApiProperty({ type: [SinkStatusDto] }) sinks: SinkStatusDto[];
}
