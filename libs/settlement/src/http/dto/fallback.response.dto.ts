import { ApiProperty } from '@nestjs/swagger';
import { FAILOVER_STATES, SINK_TIERS } from '../../domain';

const NULLABLE_TIME = { type: String, format: 'date-time', nullable: true } as const;
const NULLABLE_TEXT = { type: String, nullable: true } as const;

class SinkHealthDto {
  @ApiProperty({ enum: SINK_TIERS }) tier: string;
  @ApiProperty() name: string;
  @ApiProperty({ description: 'where it delivers (never a secret)' }) target: string;
  @ApiProperty({ type: 'integer' }) consecutive_failures: number;
  @ApiProperty({ type: 'integer' }) consecutive_successes: number;
  @ApiProperty(NULLABLE_TIME) last_success_at: string | null;
  @ApiProperty(NULLABLE_TIME) last_failure_at: string | null;
  @ApiProperty(NULLABLE_TEXT) last_error: string | null;
}

export class FallbackStatusResponseDto {
  @ApiProperty({ enum: FAILOVER_STATES }) state: string;
  @ApiProperty({ description: 'whether a fallback sink takes what the primary lacks (degraded, emergency)' })
  fallback_active: boolean;
  @ApiProperty({ ...NULLABLE_TEXT, description: 'the fallback sink in use' }) active_sink: string | null;
  @ApiProperty({ ...NULLABLE_TEXT, description: 'why the chain entered its state' }) reason: string | null;
  @ApiProperty({ format: 'date-time', description: 'when the chain entered its state' }) since: string;
  @ApiProperty(NULLABLE_TIME) last_fallback_at: string | null;
  @ApiProperty({ type: 'integer', description: 'batches the primary lacks' }) pending_reconcile_count: number;
  @ApiProperty({ type: 'integer', description: 'N: consecutive failures that fail a sink over' })
  failures_to_fail_over: number;
  @ApiProperty({ type: 'integer', description: 'M: consecutive primary successes that end a recovery' })
  successes_to_recover: number;
  @ApiProperty({ type: [SinkHealthDto], description: 'the chain in order' }) sinks: SinkHealthDto[];
}

class PendingBatchDto {
  @ApiProperty({ type: 'integer' }) batch_no: number;
  @ApiProperty({ description: 'hex SHA-256' }) batch_hash: string;
  @ApiProperty({ type: [String], description: 'the fallback sinks that hold it; empty: none yet' }) held_by: string[];
  @ApiProperty({ ...NULLABLE_TIME, description: 'when a fallback first acknowledged it' }) stored_at: string | null;
  @ApiProperty({ type: 'integer', description: 'attempts to deliver it to the primary' }) attempts: number;
  @ApiProperty({ format: 'date-time' }) next_attempt_at: string;
  @ApiProperty(NULLABLE_TEXT) last_error: string | null;
}

export class FallbackPendingResponseDto {
  @ApiProperty({ ...NULLABLE_TEXT, description: 'the primary sink; null when no sink is configured' })
  primary: string | null;
  @ApiProperty({ type: 'integer', description: 'every batch the primary lacks' }) total: number;
  @ApiProperty({ type: [PendingBatchDto], description: 'oldest first, at most 1000' }) items: PendingBatchDto[];
}

class InconsistencyDto {
  @ApiProperty({
    enum: [
      'batch_hash_mismatch',
      'transfers_root_mismatch',
      'balances_root_mismatch',
      'primary_out_of_order',
      'primary_untracked',
    ],
  })
  kind: string;
  @ApiProperty() sink: string;
  @ApiProperty({ type: 'integer' }) batch_no: number;
  @ApiProperty({ ...NULLABLE_TEXT, description: 'what the sealed chain holds' }) expected: string | null;
  @ApiProperty({ ...NULLABLE_TEXT, description: 'what the sink acknowledged' }) acknowledged: string | null;
}

export class FallbackConsistencyResponseDto {
  @ApiProperty() is_consistent: boolean;
  @ApiProperty({ type: 'integer', description: 'acknowledged deliveries checked' }) items_verified: number;
  @ApiProperty({ type: 'integer' }) inconsistencies_found: number;
  @ApiProperty({ type: [InconsistencyDto], description: 'at most 100' }) details: InconsistencyDto[];
  @ApiProperty({ format: 'date-time' }) verified_at: string;
}

export class ReconcileResponseDto {
  @ApiProperty({ description: 'false when the primary still failed and batches remain' }) success: boolean;
  @ApiProperty({ enum: FAILOVER_STATES, description: 'the chain after the pass' }) state: string;
  @ApiProperty({ type: 'integer', description: 'batches the primary lacked before' }) batches_processed: number;
  @ApiProperty({ type: 'integer', description: 'of those, now delivered to it' }) batches_reconciled: number;
  @ApiProperty({ type: 'integer' }) batches_remaining: number;
  @ApiProperty({ type: 'integer' }) duration_ms: number;
  @ApiProperty({ type: [String] }) errors: string[];
}
