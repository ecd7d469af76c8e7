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
