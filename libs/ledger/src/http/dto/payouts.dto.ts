import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString, Matches, MaxLength } from 'class-validator';
import { IfPresent, PageQueryDto } from '@tally/shared';
import { PAYOUT_STATUSES } from '../../domain';
import { AMOUNT_MESSAGE, AMOUNT_PATTERN } from './validators';

/** What a settlement sink's reference may be: 1-255 printable ASCII characters. */
export const EXTERNAL_REF_PATTERN = /^[\x20-\x7e]{1,255}$/;
export const PAYOUT_REASON_MAX_LENGTH = 512;

export class RequestPayoutDto {
  @ApiProperty({ example: '12.5', description: 'credits, a decimal string: at most what the prover has available' })
  @Matches(AMOUNT_PATTERN, { message: AMOUNT_MESSAGE })
  amount: string;
}

export class ConfirmPayoutDto {
  @ApiProperty({ example: 'wire-2026-0042', description: "where the money went: the sink's reference (1-255 ASCII)" })
  @Matches(EXTERNAL_REF_PATTERN, { message: 'external_ref must be 1-255 printable ASCII characters' })
  external_ref: string;
}

export class FailPayoutDto {
  @ApiProperty({ example: 'bank account closed', maxLength: PAYOUT_REASON_MAX_LENGTH })
  @IsString()
  @Matches(/\S/, { message: 'reason must not be blank' })
  @MaxLength(PAYOUT_REASON_MAX_LENGTH)
  reason: string;
}

export class ListPayoutsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: PAYOUT_STATUSES })
  @IfPresent()
  @IsIn(PAYOUT_STATUSES)
  status?: string;
}

const CREDITS = { type: String, example: '12.5', description: 'credits, a decimal string' } as const;

export class PayoutResponseDto {
  @ApiProperty({ format: 'uuid' }) payout_id: string;
  @ApiProperty() prover_id: string;
  @ApiProperty(CREDITS) amount: string;
  @ApiProperty({ type: String, example: '12500000', description: 'the amount in micros (int64 as a string)' })
  amount_micros: string;
  @ApiProperty({ enum: PAYOUT_STATUSES }) status: string;
  @ApiProperty({ format: 'uuid', description: 'the ledger hold (provider → payout) that moves it' }) hold_id: string;
  @ApiProperty({ type: String, nullable: true }) external_ref: string | null;
  @ApiProperty({ type: String, nullable: true }) reason: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) resolved_at: string | null;
}

export class PayoutPageResponseDto {
  @ApiProperty({ type: [PayoutResponseDto] }) items: PayoutResponseDto[];
  @ApiProperty({ type: String, nullable: true, description: 'the cursor of the next page; null on the last' })
  next_cursor: string | null;
}
