import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBody, ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ControlAction, CurrentPrincipal, type Principal, Roles } from '@tally/auth';
import {
  ApiErrors,
  Clock,
  createValidationPipe,
  DomainError,
  ErrorCode,
  ForbiddenError,
  hashOf,
  InvalidRequestError,
} from '@tally/shared';
import {
  type AccountKind,
  type AccountRef,
  type LedgerRejection,
  type PostingRequest,
  type PostingResult,
  refKey,
  rejection,
  rejectionCode,
  runsOf,
  userAccount,
  CHAIN_OPEN,
} from '../../domain';
import { PostBatchCommand } from '../../commands/post-batch/post-batch.command';
import { fastChecked } from './fast-item-check';
import { captureRequest, holdRequest, mintRequest, transferRequest, voidRequest } from '../posting-requests';
import {
  BATCH_ITEM_DTOS,
  BATCH_ITEM_KINDS,
  type BatchCaptureItemDto,
  type BatchHoldItemDto,
  type BatchItemKind,
  BatchItemOutcomeDto,
  type BatchMintItemDto,
  type BatchTransferItemDto,
  type BatchVoidItemDto,
  MAX_BATCH_ITEMS,
  TransferBatchRequestDto,
  TransferBatchResponseDto,
} from './transfer-batch.dto';

/** What a client key may do in a batch: move its own user account's credits (transfer, hold). */
const CLIENT_KINDS: readonly BatchItemKind[] = ['transfer', 'hold'];
const CLIENT_PAYEES: readonly AccountKind[] = ['user', 'provider', 'platform'];

/** An item checked and turned into a posting request, or refused before any posting. */
type Parsed = { request: PostingRequest } | { refused: DomainError };

/** The control log keeps a batch's size and digest, not its (up to 8,190) items. */
const batchSummary = (body: unknown) => {
  const items = (body as { items?: unknown })?.items;
  return { body: { items: Array.isArray(items) ? items.length : null, digest: hashOf(body ?? null) } };
};

@ApiTags('credits')
@ApiExtraModels(...Object.values(BATCH_ITEM_DTOS))
@Controller('credits')
export class TransferBatchController {
  private readonly pipe = createValidationPipe();

  constructor(
    private readonly commands: CommandBus,
    private readonly clock: Clock,
  ) {}

  @Post('transfers/batch')
  @HttpCode(200)
  @Roles('admin', 'client')
  @ControlAction('credits.batch', { roles: ['admin'], fields: batchSummary })
  @ApiOperation({
    operationId: 'credits.postBatch',
    summary: `Post up to ${MAX_BATCH_ITEMS} transfers in one transaction, in order, with one outcome per item`,
    description:
      'Items are mint, transfer, hold, capture or void, shaped like the single routes. Each carries its own id ' +
      '(idempotent: a replay answers as the first time and writes nothing). Linked items post whole or not at all. ' +
      'A client key may only transfer or hold from its own user account.',
  })
  @ApiOkResponse({ type: TransferBatchResponseDto, description: 'one outcome per item, in order' })
  @ApiErrors(ErrorCode.InvalidRequest)
  @ApiBody({ type: TransferBatchRequestDto })
  async postBatch(@Body() body: unknown, @CurrentPrincipal() principal: Principal): Promise<TransferBatchResponseDto> {
    const dto = await this.envelope(body);
    const scope = `${principal.role}:${principal.subject}`;
    const now = this.clock.now();
    const parsed: Parsed[] = [];
    for (const item of dto.items) parsed.push(await this.parse(item, principal, now, scope));

    const outcomes: BatchItemOutcomeDto[] = new Array(dto.items.length);
    const toPost: number[] = [];
    // A chain with a member refused here fails whole, before the ledger sees any of it.
    for (const run of runsOf(dto.items.map((item) => ({ linked: (item as { linked?: unknown })?.linked === true })))) {
      const bad = run.indexes.find((i) => 'refused' in parsed[i]);
      if (bad === undefined) {
        toPost.push(...run.indexes);
        continue;
      }
      for (const i of run.indexes) {
        const p = parsed[i];
        if ('refused' in p) outcomes[i] = refusedOutcome(dto.items[i], i, p.refused);
        else {
          const why = run.open ? CHAIN_OPEN : chainRefused(bad, (parsed[bad] as { refused: DomainError }).refused);
          outcomes[i] = rejectedOutcome(dto.items[i], i, why, false);
        }
      }
    }
    const results: PostingResult[] = toPost.length
      ? await this.commands.execute(
          new PostBatchCommand(toPost.map((i) => (parsed[i] as { request: PostingRequest }).request)),
        )
      : [];
    toPost.forEach((i, k) => (outcomes[i] = outcomeOf(dto.items[i], i, results[k])));
    const posted = outcomes.filter((o) => o.status === 'ok').length;
    return { posted, rejected: outcomes.length - posted, items: outcomes };
  }

  /**
   * The request's own fields, checked by its DTO's rules: with its items left out, since
   * class-transformer would copy all 8,190 of them only to skip them (each item is checked
   * on its own, below). The body is typed `unknown` so the global pipe leaves it alone.
   */
  private async envelope(body: unknown): Promise<{ items: unknown[] }> {
    const plain = typeof body === 'object' && body !== null && !Array.isArray(body);
    const items = plain ? (body as { items?: unknown }).items : undefined;
    const stub = plain && Array.isArray(items) ? { ...body, items: new Array(items.length).fill(0) } : body;
    await this.pipe.transform(stub, { type: 'body', metatype: TransferBatchRequestDto });
    return { items: items as unknown[] };
  }

  /** Checks an item as its single route checks its body, then by what the caller may do. */
  private async parse(item: unknown, principal: Principal, now: Date, scope: string): Promise<Parsed> {
    try {
      const kind = (item as { kind?: unknown })?.kind;
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        throw new InvalidRequestError('an item must be a JSON object');
      }
      if (!(BATCH_ITEM_KINDS as readonly unknown[]).includes(kind)) {
        throw new InvalidRequestError(`kind must be one of ${BATCH_ITEM_KINDS.join(', ')}`, { field: 'kind' });
      }
      const dto = (fastChecked(item as Record<string, unknown>, kind as BatchItemKind) ??
        (await this.pipe.transform(item, {
          type: 'body',
          metatype: BATCH_ITEM_DTOS[kind as BatchItemKind],
        }))) as BatchItemDto;
      const request = requestOf(dto, now);
      if ((dto.imported === true) !== (dto.created_at !== undefined)) {
        throw new InvalidRequestError('created_at goes with imported: true, and only with it', { field: 'created_at' });
      }
      if (dto.imported) {
        if (principal.role !== 'admin') throw new ForbiddenError('only an admin may import transfers');
        const at = new Date(dto.created_at!);
        if (at > now)
          throw new InvalidRequestError('created_at of an imported transfer is in the future', { field: 'created_at' });
        request.createdAt = at;
      }
      if (principal.role !== 'admin') mayClientPost(request, dto.kind, userAccount(principal.subject));
      request.linked = dto.linked === true;
      request.idempotency = { scope, key: `batch-item:${dto.id}`, requestHash: hashOf(item) };
      return { request };
    } catch (error) {
      if (error instanceof DomainError) return { refused: error };
      throw error;
    }
  }
}

type BatchItemDto = BatchMintItemDto | BatchTransferItemDto | BatchHoldItemDto | BatchCaptureItemDto | BatchVoidItemDto;

/** The posting an item asks for, by the same builders as the single routes. */
export function requestOf(dto: BatchItemDto, now: Date): PostingRequest {
  switch (dto.kind) {
    case 'mint':
      return mintRequest(dto.id, dto as BatchMintItemDto);
    case 'transfer':
      return transferRequest(dto.id, dto as BatchTransferItemDto);
    case 'hold':
      return holdRequest(dto.id, dto as BatchHoldItemDto, now);
    case 'capture':
      return captureRequest(dto.id, (dto as BatchCaptureItemDto).hold_id, dto as BatchCaptureItemDto);
    case 'void':
      return voidRequest(dto.id, (dto as BatchVoidItemDto).hold_id);
  }
}

/**
 * A client moves only its own user account's credits (every debit, and a hold's source), and
 * only to accounts people hold (user, provider, platform): never into escrow or issuance.
 */
function mayClientPost(request: PostingRequest, kind: BatchItemKind, own: AccountRef): void {
  if (!CLIENT_KINDS.includes(kind)) throw new ForbiddenError(`a client key may only ${CLIENT_KINDS.join(' or ')}`);
  const ownKey = refKey(own.kind, own.owner);
  const legs = 'legs' in request ? request.legs : [];
  const debited = 'from' in request ? [request.from] : legs.filter((l) => l.side === 'D').map((l) => l.account);
  if (debited.some((a) => refKey(a.kind, a.owner) !== ownKey)) {
    throw new ForbiddenError('a client key may only move credits out of its own user account');
  }
  if (legs.some((l) => l.side === 'C' && !CLIENT_PAYEES.includes(l.account.kind))) {
    throw new ForbiddenError(`a client key may only pay into ${CLIENT_PAYEES.join(', ')} accounts`);
  }
}

const idOf = (item: unknown): string | null => {
  const id = (item as { id?: unknown })?.id;
  return typeof id === 'string' ? id : null;
};

function chainRefused(at: number, error: DomainError): LedgerRejection {
  return rejection('linked_event_failed', `linked item ${at} failed (${error.code}): ${error.message}`);
}

function refusedOutcome(item: unknown, index: number, error: DomainError): BatchItemOutcomeDto {
  const reason = error instanceof ForbiddenError ? 'forbidden' : 'invalid';
  return {
    index,
    id: idOf(item),
    status: 'rejected',
    replayed: false,
    code: error.code,
    reason,
    detail: error.message,
  };
}

function rejectedOutcome(item: unknown, index: number, why: LedgerRejection, replayed: boolean): BatchItemOutcomeDto {
  return {
    index,
    id: idOf(item),
    status: 'rejected',
    replayed,
    code: rejectionCode(why),
    reason: why.reason,
    detail: why.detail,
  };
}

function outcomeOf(item: unknown, index: number, result: PostingResult): BatchItemOutcomeDto {
  const replayed = result.outcome === 'replay';
  if ('transfer' in result) {
    return { index, id: idOf(item), status: 'ok', replayed, transfer_id: result.transfer.id, seq: result.transfer.seq };
  }
  if ('rejection' in result) return rejectedOutcome(item, index, result.rejection, replayed);
  return {
    index,
    id: idOf(item),
    status: 'rejected',
    replayed: false,
    code: ErrorCode.IdempotencyConflict,
    reason: 'id-reused',
    detail: 'this id was used before with a different item',
  };
}
