import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { AsSent, IfPresent, PageQueryDto } from '@tally/shared';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { accountTypeInputs, HOLD_STATUSES, MEMO_MAX_LENGTH, METADATA_MAX_BYTES, TRANSFER_KINDS } from '../../domain';
import { AMOUNT_MESSAGE, AMOUNT_PATTERN, ID_MESSAGE, ID_PATTERN, IsBoundedObject } from './validators';

/** References every posting may carry. */
class ReferencesDto {
  @ApiPropertyOptional({ maxLength: MEMO_MAX_LENGTH })
  @IfPresent()
  @IsString()
  @MaxLength(MEMO_MAX_LENGTH)
  memo?: string;

  @ApiPropertyOptional({ description: 'JSON object, at most 16 KB' })
  @AsSent()
  @IfPresent()
  @IsBoundedObject(METADATA_MAX_BYTES)
  metadata?: Record<string, unknown>;

  @ApiPropertyOptional()
  @IfPresent()
  @Matches(ID_PATTERN, { message: ID_MESSAGE })
  job_id?: string;
}

export class AccountRefDto {
  @ApiProperty({ enum: accountTypeInputs() })
  @IsIn(accountTypeInputs())
  account_type: string;

  @ApiProperty({ example: 'alice' })
  @Matches(ID_PATTERN, { message: ID_MESSAGE })
  account_id: string;
}

/** An amount into or out of a user, provider or platform account. */
class AccountAmountDto extends ReferencesDto {
  @ApiProperty({ enum: accountTypeInputs(['user', 'provider', 'platform']) })
  @IsIn(accountTypeInputs(['user', 'provider', 'platform']))
  account_type: string;

  @ApiProperty({ example: 'alice' })
  @Matches(ID_PATTERN, { message: ID_MESSAGE })
  account_id: string;

  @ApiProperty({ example: '100' })
  @Matches(AMOUNT_PATTERN, { message: AMOUNT_MESSAGE })
  amount: string;
}

export class MintRequestDto extends AccountAmountDto {}

export class SpendRequestDto extends ReferencesDto {
  @ApiProperty({ example: '2.5' })
  @Matches(AMOUNT_PATTERN, { message: AMOUNT_MESSAGE })
  amount: string;

  @ApiPropertyOptional({ description: 'admin only: the user account to spend from' })
  @IfPresent()
  @Matches(ID_PATTERN, { message: ID_MESSAGE })
  account_id?: string;
}

export class RewardRequestDto extends ReferencesDto {
  @ApiProperty({ example: 'p1' })
  @Matches(ID_PATTERN, { message: ID_MESSAGE })
  prover_id: string;

  @ApiProperty({ example: '1.25' })
  @Matches(AMOUNT_PATTERN, { message: AMOUNT_MESSAGE })
  amount: string;
}

export class EntryRequestDto extends AccountRefDto {
  @ApiProperty({ enum: ['debit', 'credit'] })
  @IsIn(['debit', 'credit'])
  side: 'debit' | 'credit';

  @ApiProperty({ example: '1' })
  @Matches(AMOUNT_PATTERN, { message: AMOUNT_MESSAGE })
  amount: string;
}

/** Either `from` + `to` + `amount`, or `entries` (2-64 legs whose debits equal their credits). */
export class TransferRequestDto extends ReferencesDto {
  @ApiPropertyOptional({ type: AccountRefDto })
  @IfPresent()
  @IsObject()
  @ValidateNested()
  @Type(() => AccountRefDto)
  from?: AccountRefDto;

  @ApiPropertyOptional({ type: AccountRefDto })
  @IfPresent()
  @IsObject()
  @ValidateNested()
  @Type(() => AccountRefDto)
  to?: AccountRefDto;

  @ApiPropertyOptional({ example: '1' })
  @IfPresent()
  @Matches(AMOUNT_PATTERN, { message: AMOUNT_MESSAGE })
  amount?: string;

  @ApiPropertyOptional({ type: [EntryRequestDto] })
  @IfPresent()
  @IsArray()
  @ArrayMinSize(2)
  @ArrayMaxSize(64)
  @ValidateNested({ each: true })
  @Type(() => EntryRequestDto)
  entries?: EntryRequestDto[];
}

export class CreateAccountRequestDto {
  @ApiProperty({ enum: accountTypeInputs(['user', 'provider']) })
  @IsIn(accountTypeInputs(['user', 'provider']))
  account_type: string;

  @ApiProperty({ example: 'alice' })
  @Matches(ID_PATTERN, { message: ID_MESSAGE })
  account_id: string;

  @ApiPropertyOptional({ description: 'JSON object, at most 16 KB' })
  @AsSent()
  @IfPresent()
  @IsBoundedObject(METADATA_MAX_BYTES)
  metadata?: Record<string, unknown>;
}

export class PlaceHoldRequestDto extends AccountAmountDto {
  @ApiPropertyOptional({
    type: 'integer',
    description: 'seconds until the hold expires and is released (1 to 30 days)',
  })
  @IfPresent()
  @IsInt()
  @Min(1)
  @Max(30 * 24 * 3600)
  expires_in_seconds?: number;
}

export class CaptureHoldRequestDto {
  @ApiProperty({ example: '2', description: 'amount to capture, at most the held amount; the rest is released' })
  @Matches(AMOUNT_PATTERN, { message: AMOUNT_MESSAGE })
  amount: string;

  @ApiPropertyOptional({ type: AccountRefDto, description: 'where the captured amount goes (default platform/main)' })
  @IfPresent()
  @IsObject()
  @ValidateNested()
  @Type(() => AccountRefDto)
  to?: AccountRefDto;
}

export class ListTransactionsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: accountTypeInputs() })
  @IfPresent()
  @IsIn(accountTypeInputs())
  account_type?: string;

  @ApiPropertyOptional()
  @IfPresent()
  @Matches(ID_PATTERN, { message: ID_MESSAGE })
  account_id?: string;

  @ApiPropertyOptional()
  @IfPresent()
  @Matches(ID_PATTERN, { message: ID_MESSAGE })
  job_id?: string;

  @ApiPropertyOptional({ enum: TRANSFER_KINDS, description: 'the transfer kind (mint, spend, reward, …)' })
  @IfPresent()
  @IsString()
  kind?: string;

  @ApiPropertyOptional({
    enum: TRANSFER_KINDS,
    description: 'another name for kind (one of the two, or both the same)',
  })
  @IfPresent()
  @IsString()
  reason?: string;

  @ApiPropertyOptional({ description: 'ISO 8601 timestamp, inclusive' })
  @IfPresent()
  @IsString()
  from?: string;

  @ApiPropertyOptional({ description: 'ISO 8601 timestamp, exclusive' })
  @IfPresent()
  @IsString()
  to?: string;
}

export class AccountQueryDto {
  @ApiPropertyOptional({ description: 'ISO 8601 timestamp: the balance at that moment' })
  @IfPresent()
  @IsString()
  as_of?: string;
}

export class BalanceAlertRequestDto {
  @ApiPropertyOptional({ example: '10', description: 'fire when the available balance drops below this amount' })
  @IfPresent()
  @Matches(AMOUNT_PATTERN, { message: AMOUNT_MESSAGE })
  below?: string;

  @ApiPropertyOptional({ example: '1000', description: 'fire when the available balance rises above this amount' })
  @IfPresent()
  @Matches(AMOUNT_PATTERN, { message: AMOUNT_MESSAGE })
  above?: string;
}

export class SearchAccountsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: accountTypeInputs() })
  @IfPresent()
  @IsIn(accountTypeInputs())
  account_type?: string;

  @ApiPropertyOptional({ description: 'the start of the account ids (owner ids) to list', example: 'client-' })
  @IfPresent()
  @Matches(/^[A-Za-z0-9._:@-]{1,128}$/, { message: 'id_prefix must be 1-128 characters of A-Z a-z 0-9 . _ : @ -' })
  id_prefix?: string;
}

export class ListHoldsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: HOLD_STATUSES })
  @IfPresent()
  @IsIn(HOLD_STATUSES)
  status?: string;
}
