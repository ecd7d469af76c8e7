import { Body, Controller, Get, Param, Put, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ControlAction, Roles } from '@tally/auth';
import {
  ApiErrors,
  ErrorCode,
  INT32_MAX,
  int64ToJson,
  InvalidRequestError,
  parseInt64,
  timestampToJson,
} from '@tally/shared';
import { parseSchedulerConfig, type VersionedSchedulerConfig } from '../domain';
import { PutSchedulerConfigCommand } from '../commands/put-scheduler-config/put-scheduler-config.command';
import { GetPlacementQuery } from '../queries/get-placement/get-placement.query';
import { GetSchedulerConfigQuery } from '../queries/get-scheduler-config/get-scheduler-config.query';
import { SchedulerTicker } from '../ticks/scheduler-ticker';
import { PlacementQueryDto, PutSchedulerConfigRequestDto, WORKLOAD } from './dto/scheduler.request.dto';

/** A placement key: a job id or any hash (hex, base64url, …). */
const KEY = /^[A-Za-z0-9._:@+=~-]{1,256}$/;

/**
 * A weight as the API writes decimals (like scores and the config's weights): rounded to 6
 * fractional digits, trailing zeros dropped ("1.917408", "0.000001", "2"). Only the answer:
 * the draw itself uses the exact double.
 */
export const presentWeight = (weight: number): string => weight.toFixed(6).replace(/\.?0+$/, '');

class SchedulerConfigResponseDto {
  @ApiProperty({ description: 'the weight of the score, a decimal string' }) w_score: string;
  @ApiProperty({ description: 'the weight of the free capacity, a decimal string' }) w_load: string;
  @ApiProperty({ description: WORKLOAD.w_cpu }) w_cpu: string;
  @ApiProperty({ description: WORKLOAD.w_ram }) w_ram: string;
  @ApiProperty({ description: WORKLOAD.w_gpu }) w_gpu: string;
  @ApiProperty({ description: WORKLOAD.w_latency }) w_latency: string;
  @ApiProperty({ description: WORKLOAD.w_io }) w_io: string;
  @ApiProperty({ type: 'integer', nullable: true, description: 'null: the environment default' })
  tick_interval_ms: number | null;
  @ApiProperty({ type: 'integer', description: 'what this replica runs at (0 when not scheduling)' })
  effective_tick_interval_ms: number;
  @ApiProperty({ format: 'int64' }) version: string;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
}

class PlacementItemDto {
  @ApiProperty() prover_id: string;
  @ApiProperty({ description: 'the draw weight, a decimal string (6 places at most)' }) weight: string;
  @ApiProperty({ type: 'integer', description: 'from 1, best first' }) rank: number;
}

class PlacementResponseDto {
  @ApiProperty() key: string;
  @ApiProperty({ type: 'integer' }) rf: number;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'the job the key names (its requirements were applied), or null',
  })
  network_job_id: string | null;
  @ApiProperty({ type: 'integer' }) config_version: number;
  @ApiProperty({ type: [PlacementItemDto] }) items: PlacementItemDto[];
}

@ApiTags('scheduler')
@Controller()
export class SchedulerController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly ticker: SchedulerTicker,
  ) {}

  @Get('scheduler/config')
  @Roles('admin')
  @ApiOkResponse({ type: SchedulerConfigResponseDto })
  @ApiOperation({
    operationId: 'scheduler.getConfig',
    summary: "The scheduler's weights and tick interval, with the config version",
  })
  async getConfig() {
    return this.present(await this.queries.execute(new GetSchedulerConfigQuery()));
  }

  @Put('scheduler/config')
  @Roles('admin')
  @ControlAction('scheduler.putConfig')
  @ApiOkResponse({ type: SchedulerConfigResponseDto })
  @ApiErrors(ErrorCode.VersionConflict)
  @ApiOperation({
    operationId: 'scheduler.putConfig',
    summary: 'Replace the scheduler config (version + 1); returns the new config',
  })
  async putConfig(@Body() dto: PutSchedulerConfigRequestDto) {
    const { version, ...fields } = dto;
    // The version column is an integer (int4).
    const expected =
      version === undefined ? undefined : Number(parseInt64(version, 'version', { min: 0n, max: BigInt(INT32_MAX) }));
    const saved = await this.commands.execute(new PutSchedulerConfigCommand(parseSchedulerConfig(fields), expected));
    return this.present(saved);
  }

  @Get('placement/:key')
  @Roles('admin')
  @ApiOkResponse({ type: PlacementResponseDto })
  @ApiOperation({
    operationId: 'scheduler.placement',
    summary: 'The top rf live candidates for a key (a job id or any hash), deterministic',
  })
  async placement(@Param('key') key: string, @Query() query: PlacementQueryDto) {
    if (!KEY.test(key)) {
      throw new InvalidRequestError('key must be 1-256 characters of A-Z a-z 0-9 . _ : @ + = ~ -', { field: 'key' });
    }
    const answer = await this.queries.execute(
      new GetPlacementQuery(key, query.rf === undefined ? 3 : Number(query.rf)),
    );
    return { ...answer, items: answer.items.map((item) => ({ ...item, weight: presentWeight(item.weight) })) };
  }

  private present({ config, version, updatedAt }: VersionedSchedulerConfig) {
    return {
      w_score: config.w_score,
      w_load: config.w_load,
      w_cpu: config.w_cpu,
      w_ram: config.w_ram,
      w_gpu: config.w_gpu,
      w_latency: config.w_latency,
      w_io: config.w_io,
      tick_interval_ms: config.tick_interval_ms ?? null,
      // What this replica runs at (the environment's default when the config sets none; 0 when not scheduling).
      effective_tick_interval_ms: this.ticker.tickIntervalMs,
      version: int64ToJson(version),
      updated_at: timestampToJson(updatedAt),
    };
  }
}
