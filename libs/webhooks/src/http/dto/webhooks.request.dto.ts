import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsString, MaxLength } from 'class-validator';
import { WEBHOOK_EVENT_TYPES } from '../../domain';

export class CreateWebhookRequestDto {
  @ApiProperty({ example: 'https://hooks.example/tally' })
  @IsString()
  @MaxLength(2048)
  url: string;

  @ApiProperty({ example: ['JobCompleted', 'BalanceAlertTriggered'], enum: WEBHOOK_EVENT_TYPES, isArray: true })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(WEBHOOK_EVENT_TYPES.length)
  @IsIn(WEBHOOK_EVENT_TYPES, {
    each: true,
    message: `event_types must each be one of ${WEBHOOK_EVENT_TYPES.join(', ')}`,
  })
  event_types: string[];
}
