import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString, Matches, MaxLength } from 'class-validator';
import { ErrorCode, IfPresent, PageQueryDto } from '@tally/shared';
import { CONTROL_ACTION_NAME, CONTROL_ACTION_NAME_MAX, type ControlLogRow } from '../../domain/control-log';

/** Filters and page of the control log (any other query parameter is refused). */
export class ListControlLogQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    description: 'the action, exactly (an operation id such as credits.mint)',
    example: 'credits.mint',
  })
  @IfPresent()
  @MaxLength(CONTROL_ACTION_NAME_MAX)
  @Matches(CONTROL_ACTION_NAME, { message: 'action must be dotted words such as credits.mint' })
  action?: string;

  @ApiPropertyOptional({ description: "the acting key's id, exactly" })
  @IfPresent()
  @MaxLength(255)
  @Matches(/^[\x21-\x7e]+$/, { message: 'actor_key_id must be printable ASCII without spaces' })
  actor_key_id?: string;

  @ApiPropertyOptional({ enum: ['ok', 'rejected'] })
  @IfPresent()
  @IsIn(['ok', 'rejected'], { message: 'outcome must be ok or rejected' })
  outcome?: 'ok' | 'rejected';

  @ApiPropertyOptional({ description: 'rows at or after this time (ISO 8601)', example: '2026-12-01T00:00:00Z' })
  @IfPresent()
  @IsString()
  from?: string;

  @ApiPropertyOptional({ description: 'rows before this time (ISO 8601)', example: '2026-12-02T00:00:00Z' })
  @IfPresent()
  @IsString()
  to?: string;
}

class ControlActorDto {
  @ApiProperty({ type: String, nullable: true, description: "the API key's id; null for an operator at the CLI" })
  key_id: string | null;

  @ApiProperty({ enum: ['admin', 'client', 'prover', 'cli'] })
  role: string;

  @ApiProperty({ description: "the key's subject, or the CLI operator's user name" })
  subject: string;
}

export class ControlLogEntryDto {
  @ApiProperty({
    description: 'position in the chain: ascending from 1 (an action that rolled back leaves its number unused)',
    example: '42',
  })
  seq: string;

  @ApiProperty({ format: 'date-time' })
  at: string;

  @ApiProperty({ type: ControlActorDto })
  actor: ControlActorDto;

  @ApiProperty({ example: 'credits.mint' })
  action: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: "the request's essential fields: path parameters, query and body (never secrets)",
  })
  fields: Record<string, unknown>;

  @ApiProperty({ enum: ['ok', 'rejected'] })
  outcome: 'ok' | 'rejected';

  @ApiProperty({
    type: String,
    nullable: true,
    enum: [...Object.values(ErrorCode), null],
    description: 'the DSE code of a rejected action',
  })
  error_code: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description:
      "the previous row's hash (64 zeros before the first row); null until the row is chained, within a second",
  })
  prev_hash: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'SHA-256 (hex) of the canonical JSON of this row, prev_hash included; null until the row is chained',
  })
  hash: string | null;

  static from(row: ControlLogRow): ControlLogEntryDto {
    return {
      seq: row.seq,
      at: row.at.toISOString(),
      actor: { key_id: row.actorKeyId, role: row.actorRole, subject: row.actorSubject },
      action: row.action,
      fields: JSON.parse(row.fields) as Record<string, unknown>,
      outcome: row.outcome,
      error_code: row.errorCode,
      prev_hash: row.prevHash,
      hash: row.hash,
    };
  }
}

export class ControlLogPageDto {
  @ApiProperty({ type: [ControlLogEntryDto] })
  items: ControlLogEntryDto[];

  @ApiProperty({ type: String, nullable: true, description: 'the next page, as `cursor`; null on the last page' })
  next_cursor: string | null;
}
