import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ACCOUNT_KINDS, HOLD_STATUSES, TRANSFER_KINDS } from '../../domain';

/** Credits on the wire: an exact decimal string with at most 6 fractional digits. */
const CREDITS = { type: String, example: '12.5', description: 'credits, a decimal string' } as const;
const OBJECT = { type: 'object', additionalProperties: true } as const;

export class EntryResponseDto {
  @ApiProperty({ enum: ACCOUNT_KINDS }) account_type: string;
  @ApiProperty() account_id: string;
  @ApiProperty({ enum: ['debit', 'credit'] }) side: string;
  @ApiPropertyOptional({ enum: ['pending', 'release'], description: 'absent for a posted entry' }) phase?: string;
  @ApiProperty(CREDITS) amount: string;
}

export class TransferResponseDto {
  @ApiProperty({ format: 'uuid' }) transfer_id: string;
  @ApiProperty({ format: 'int64', description: "the ledger's commit order" }) sequence: string;
  @ApiProperty({ enum: TRANSFER_KINDS }) kind: string;
  @ApiProperty(CREDITS) amount: string;
  @ApiPropertyOptional({ format: 'uuid' }) hold_id?: string;
  @ApiPropertyOptional() job_id?: string;
  @ApiPropertyOptional() prover_id?: string;
  @ApiPropertyOptional() memo?: string;
  @ApiPropertyOptional(OBJECT) metadata?: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ type: [EntryResponseDto] }) entries: EntryResponseDto[];
}

export class BalanceResponseDto {
  @ApiProperty(CREDITS) posted: string;
  @ApiProperty({ ...CREDITS, description: 'held (debits pending)' }) pending: string;
  @ApiProperty({ ...CREDITS, description: 'posted − held' }) available: string;
  @ApiProperty({ ...CREDITS, description: 'credits pending into the account' }) incoming: string;
}

export class AccountBalanceResponseDto extends BalanceResponseDto {
  @ApiProperty({ enum: ACCOUNT_KINDS }) account_type: string;
  @ApiProperty() account_id: string;
}

/** A posted transfer with each account's balance right after it. */
export class PostingResponseDto extends TransferResponseDto {
  @ApiProperty({ type: [AccountBalanceResponseDto] }) balances: AccountBalanceResponseDto[];
}

export class AccountResponseDto {
  @ApiProperty({ enum: ACCOUNT_KINDS }) account_type: string;
  @ApiProperty() account_id: string;
  @ApiProperty({ example: 'CREDIT' }) currency: string;
  @ApiProperty({ format: 'int64' }) version: string;
  @ApiProperty(OBJECT) metadata: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ type: BalanceResponseDto }) balance: BalanceResponseDto;
}

export class AccountDetailResponseDto extends AccountResponseDto {
  @ApiPropertyOptional({ format: 'date-time', description: 'the as_of asked for: balance and version then' })
  as_of?: string;
  @ApiProperty({ type: [TransferResponseDto], description: 'the 20 most recent, newest first' })
  recent_transactions: TransferResponseDto[];
}

export class TransferPageResponseDto {
  @ApiProperty({ type: [TransferResponseDto] }) items: TransferResponseDto[];
  @ApiProperty({ type: String, nullable: true, description: 'the cursor of the next page; null on the last' })
  next_cursor: string | null;
}

export class HoldResponseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty(CREDITS) amount: string;
  @ApiProperty(CREDITS) captured: string;
  @ApiProperty({ enum: HOLD_STATUSES }) status: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) expires_at: string | null;
  @ApiProperty({ type: String, nullable: true }) job_id: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) resolved_at: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'the transfer that resolved it' })
  resolved_by: string | null;
  @ApiProperty({ enum: ACCOUNT_KINDS }) debit_kind: string;
  @ApiProperty() debit_owner: string;
  @ApiProperty({ enum: ACCOUNT_KINDS }) credit_kind: string;
  @ApiProperty() credit_owner: string;
}

export class BalanceAlertResponseDto {
  @ApiProperty({ format: 'uuid' }) alert_id: string;
  @ApiProperty({ enum: ACCOUNT_KINDS }) account_type: string;
  @ApiProperty() account_id: string;
  @ApiProperty({ enum: ['below', 'above'] }) direction: string;
  @ApiProperty(CREDITS) threshold: string;
  @ApiProperty({ description: 'fires when the balance crosses; re-armed when it crosses back' }) armed: boolean;
  @ApiProperty({ type: 'integer' }) fired_count: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) last_fired_at: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
}

export class BalanceAlertListResponseDto {
  @ApiProperty({ type: [BalanceAlertResponseDto] }) items: BalanceAlertResponseDto[];
}

export class AccountPageResponseDto {
  @ApiProperty({ type: [AccountResponseDto] }) items: AccountResponseDto[];
  @ApiProperty({ type: String, nullable: true, description: 'the cursor of the next page; null on the last' })
  next_cursor: string | null;
}

export class HoldPageResponseDto {
  @ApiProperty({ type: [HoldResponseDto] }) items: HoldResponseDto[];
  @ApiProperty({ type: String, nullable: true, description: 'the cursor of the next page; null on the last' })
  next_cursor: string | null;
}
