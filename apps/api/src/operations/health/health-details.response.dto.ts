import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

class DependencyErrorDto {
  @ApiProperty() message: string;
  @ApiProperty({ format: 'date-time' }) at: string;
}

class DependencyReportDto {
  @ApiProperty({
    description: 'database, migrations, each scheduler and settlement loop (scheduler.assign, ...), events, tracing',
  })
  name: string;
  @ApiProperty({
    enum: ['up', 'down', 'degraded', 'off'],
    description: 'degraded: working without it (the event broker, the trace collector); off: not configured',
  })
  state: string;
  @ApiProperty({ description: 'whether down makes /ready answer 503' }) critical: boolean;
  @ApiPropertyOptional({ description: 'why it is down now' }) message?: string;
  @ApiPropertyOptional({ type: DependencyErrorDto, description: 'the last error seen, even if recovered since' })
  last_error?: DependencyErrorDto;
  @ApiPropertyOptional({ type: 'integer', description: 'a loop: how often it runs' }) interval_ms?: number;
  @ApiPropertyOptional({ format: 'date-time', description: 'a loop: its last completed run; tracing: its last export' })
  last_run_at?: string;
}

export class HealthDetailsResponseDto {
  @ApiProperty({ enum: ['ready', 'not_ready'], description: 'what /ready answers (200 or 503)' }) status: string;
  @ApiProperty({ format: 'date-time' }) checked_at: string;
  @ApiProperty({ type: [DependencyReportDto] }) dependencies: DependencyReportDto[];
}
