import { ApiProperty } from '@nestjs/swagger';
import { PROVER_STATES } from '../../domain';
import { CapabilitiesDto, HardwareProfileDto } from './prover-profile.dto';

const INT64 = { type: String, format: 'int64' } as const;
const NULLABLE_TIME = { type: String, format: 'date-time', nullable: true } as const;

/** A prover as presentProver writes it. */
export class ProverResponseDto {
  @ApiProperty() prover_id: string;
  @ApiProperty({ enum: PROVER_STATES, description: 'offline once its heartbeat is older than the liveness TTL' })
  state: string;
  @ApiProperty({ type: Number, description: 'the EMA score now, in [0, 100] (decayed while idle)' })
  score_value: number;
  @ApiProperty({ type: Number, description: 'the score as last recorded' }) score_recorded: number;
  @ApiProperty(INT64) successful_jobs: string;
  @ApiProperty(INT64) failed_jobs: string;
  @ApiProperty({ ...INT64, description: 'the scorecard version' }) version: string;
  @ApiProperty(NULLABLE_TIME) last_heartbeat: string | null;
  @ApiProperty(NULLABLE_TIME) last_scored_at: string | null;
  @ApiProperty({ type: String, nullable: true }) region: string | null;
  @ApiProperty({ type: 'integer' }) max_concurrency: number;
  @ApiProperty({ type: Number }) load_factor: number;
  @ApiProperty({ format: 'date-time' }) registered_at: string;
}

/** A registration's answer: the prover with its profile and what that profile supports. */
export class RegisterProverResponseDto extends ProverResponseDto {
  @ApiProperty({ type: HardwareProfileDto }) hardware_profile: HardwareProfileDto;
  @ApiProperty({ type: CapabilitiesDto }) capabilities: CapabilitiesDto;
  @ApiProperty({ type: [String] }) supported_features: string[];
}

export class CapabilitiesResponseDto {
  @ApiProperty() prover_id: string;
  @ApiProperty({ type: HardwareProfileDto }) hardware_profile: HardwareProfileDto;
  @ApiProperty({ type: [String], description: 'the flat list of features its capabilities support' })
  supported_features: string[];
}

export class ProverPageResponseDto {
  @ApiProperty({ type: [ProverResponseDto] }) items: ProverResponseDto[];
  @ApiProperty({ type: String, nullable: true, description: 'the cursor of the next page; null on the last' })
  next_cursor: string | null;
}

export class ScorePointResponseDto {
  @ApiProperty({ format: 'date-time', description: 'when the scorecard event scored it' }) at: string;
  @ApiProperty({ type: Number, description: 'the EMA score it recorded, in [0, 100]' }) score: number;
  @ApiProperty({ ...INT64, description: 'the scorecard version it made' }) version: string;
  @ApiProperty({ type: 'integer', description: 'successful jobs it counted' }) delta_success: number;
  @ApiProperty({ type: 'integer', description: 'failed jobs it counted' }) delta_failure: number;
}

export class ScoreHistoryResponseDto {
  @ApiProperty() prover_id: string;
  @ApiProperty({ type: [ScorePointResponseDto], description: 'oldest first' }) items: ScorePointResponseDto[];
}

/** A prover's stake, in micros. */
export class ProverStakeResponseDto {
  @ApiProperty({ ...INT64, description: 'bonded: available in its stake account' }) bonded_micros: string;
  @ApiProperty({ ...INT64, description: 'unbonding: locked by open unstakes until their release' })
  unbonding_micros: string;
  @ApiProperty({ ...INT64, description: 'slashed from its stake to date' }) slashed_micros: string;
  @ApiProperty({ ...INT64, description: 'rewards credited to its provider account to date' }) earned_micros: string;
}

/** One prover with its stake, as GET /v1/provers/{id} shows it. */
export class ProverDetailResponseDto extends ProverResponseDto {
  @ApiProperty({ type: ProverStakeResponseDto }) stake: ProverStakeResponseDto;
}

/** A bond or an unbonding, as posted (a replay answers as the first time). */
export class StakeMovementResponseDto {
  @ApiProperty() prover_id: string;
  @ApiProperty({ format: 'uuid', description: 'the ledger transfer (an unbonding: its hold)' }) transfer_id: string;
  @ApiProperty({ enum: ['stake', 'hold'], description: 'stake: a bond; hold: an unbonding' }) kind: string;
  @ApiProperty({ example: '100', description: 'credits' }) amount: string;
  @ApiProperty({ ...INT64, description: 'bonded right after this movement' }) bonded_micros: string;
  @ApiProperty({ ...INT64, description: 'unbonding right after this movement' }) unbonding_micros: string;
  @ApiProperty({ ...NULLABLE_TIME, description: 'an unbonding: when the sweep releases it; a bond: null' })
  unbonds_at: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
}
