import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsISO8601, Matches } from 'class-validator';
import { ErrorCode, IfPresent, UUID_PATTERN } from '@tally/shared';
import { REJECTION_REASONS } from '../../domain';
import {
  CaptureHoldRequestDto,
  MintRequestDto,
  PlaceHoldRequestDto,
  TransferRequestDto,
} from '../dto/credits.request.dto';

/** TigerBeetle's batch size: the most items one request may carry. */
export const MAX_BATCH_ITEMS = 8190;

export const BATCH_ITEM_KINDS = ['mint', 'transfer', 'hold', 'capture', 'void'] as const;
export type BatchItemKind = (typeof BATCH_ITEM_KINDS)[number];

// A mixin's base: TypeScript requires exactly this constructor type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Constructor = new (...args: any[]) => object;

/** An item: the single route's body for its kind, plus the batch's own fields. */
function batchItem<T extends Constructor>(Body: T, kind: BatchItemKind) {
  class BatchItem extends Body {
    @ApiProperty({
      format: 'uuid',
      description: "the transfer's id, chosen by the caller: a replay of it answers as the first time",
    })
    @Matches(UUID_PATTERN, { message: 'id must be a UUID in lower case' })
    id: string;

    @ApiProperty({ enum: [kind] })
    @IsIn([kind])
    kind: BatchItemKind;

    @ApiPropertyOptional({ description: 'chained to the next item: the chain posts whole or not at all' })
    @IfPresent()
    @IsBoolean()
    linked?: boolean;

    @ApiPropertyOptional({ description: 'admin only: migrated history, dated by created_at' })
    @IfPresent()
    @IsBoolean()
    imported?: boolean;

    @ApiPropertyOptional({
      format: 'date-time',
      description: "with imported (and only then): the transfer's time, no earlier than the last imported one",
    })
    @IfPresent()
    @IsISO8601({ strict: true, strictSeparator: true })
    created_at?: string;
  }
  return BatchItem;
}

class HoldIdDto {
  @ApiProperty({ format: 'uuid' })
  @Matches(UUID_PATTERN, { message: 'hold_id must be a UUID in lower case' })
  hold_id: string;
}

export class BatchMintItemDto extends batchItem(MintRequestDto, 'mint') {}
export class BatchTransferItemDto extends batchItem(TransferRequestDto, 'transfer') {}
export class BatchHoldItemDto extends batchItem(PlaceHoldRequestDto, 'hold') {}
export class BatchCaptureItemDto extends batchItem(CaptureHoldRequestDto, 'capture') {
  @ApiProperty({ format: 'uuid' })
  @Matches(UUID_PATTERN, { message: 'hold_id must be a UUID in lower case' })
  hold_id: string;
}
export class BatchVoidItemDto extends batchItem(HoldIdDto, 'void') {}

export const BATCH_ITEM_DTOS = {
  mint: BatchMintItemDto,
  transfer: BatchTransferItemDto,
  hold: BatchHoldItemDto,
  capture: BatchCaptureItemDto,
  void: BatchVoidItemDto,
} as const satisfies Record<BatchItemKind, Constructor>;

export class TransferBatchRequestDto {
  @ApiProperty({
    type: 'array',
    minItems: 1,
    maxItems: MAX_BATCH_ITEMS,
    items: { oneOf: Object.values(BATCH_ITEM_DTOS).map((dto) => ({ $ref: getSchemaPath(dto) })) },
    description: 'applied in order; each item is checked on its own, and a bad one fails only itself (and its chain)',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BATCH_ITEMS, { message: `items may hold at most ${MAX_BATCH_ITEMS} transfers` })
  items: unknown[];
}

export class BatchItemOutcomeDto {
  @ApiProperty({ type: 'integer' }) index: number;
  @ApiProperty({ nullable: true, type: 'string', description: 'the item id, as sent (null when it sent none)' })
  id: string | null;
  @ApiProperty({ enum: ['ok', 'rejected'] }) status: 'ok' | 'rejected';
  @ApiProperty({
    description: 'an earlier request posted or refused this id with the same item: its outcome, unchanged',
  })
  replayed: boolean;
  @ApiPropertyOptional({ format: 'uuid' }) transfer_id?: string;
  @ApiPropertyOptional({ format: 'int64' }) seq?: string;
  @ApiPropertyOptional({ enum: Object.values(ErrorCode) }) code?: string;
  @ApiPropertyOptional({ enum: [...REJECTION_REASONS, 'invalid', 'forbidden', 'id-reused'] }) reason?: string;
  @ApiPropertyOptional() detail?: string;
}

export class TransferBatchResponseDto {
  @ApiProperty({ type: 'integer', description: 'items posted now or before (replays)' }) posted: number;
  @ApiProperty({ type: 'integer' }) rejected: number;
  @ApiProperty({ type: [BatchItemOutcomeDto], description: 'one per item, in order' }) items: BatchItemOutcomeDto[];
}
