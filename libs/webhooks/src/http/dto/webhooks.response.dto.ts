import { ApiProperty } from '@nestjs/swagger';
import { WEBHOOK_EVENT_TYPES } from '../../domain';

const NULLABLE_TIME = { type: String, format: 'date-time', nullable: true } as const;

class WebhookOwnerDto {
  @ApiProperty({ enum: ['admin', 'client'] }) role: string;
  @ApiProperty() subject: string;
}

export class WebhookResponseDto {
  @ApiProperty({ format: 'uuid' }) webhook_id: string;
  @ApiProperty() url: string;
  @ApiProperty({ type: 'array', items: { type: 'string', enum: [...WEBHOOK_EVENT_TYPES] } }) event_types: string[];
  @ApiProperty({ enum: ['active', 'failing'] }) status: string;
  @ApiProperty(NULLABLE_TIME) failing_since: string | null;
  @ApiProperty({ type: WebhookOwnerDto }) owner: WebhookOwnerDto;
  @ApiProperty({ format: 'date-time' }) created_at: string;
}

export class CreatedWebhookResponseDto extends WebhookResponseDto {
  @ApiProperty({ description: 'signs every delivery (HMAC-SHA256); shown only in this answer' }) secret: string;
}

export class WebhookListResponseDto {
  @ApiProperty({ type: [WebhookResponseDto] }) items: WebhookResponseDto[];
}

export class WebhookDeliveryResponseDto {
  @ApiProperty({ format: 'int64' }) delivery_id: string;
  @ApiProperty() event_id: string;
  @ApiProperty() event_type: string;
  @ApiProperty({ format: 'int64' }) sequence: string;
  @ApiProperty({ enum: ['pending', 'delivered', 'failing'] }) status: string;
  @ApiProperty({ type: 'integer' }) attempts: number;
  @ApiProperty({ ...NULLABLE_TIME, description: 'while pending' }) next_attempt_at: string | null;
  @ApiProperty({ type: 'integer', nullable: true }) last_status_code: number | null;
  @ApiProperty({ type: String, nullable: true }) last_error: string | null;
  @ApiProperty(NULLABLE_TIME) delivered_at: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
}

export class WebhookDeliveryListResponseDto {
  @ApiProperty({ type: [WebhookDeliveryResponseDto], description: 'newest first, at most 100' })
  items: WebhookDeliveryResponseDto[];
}
