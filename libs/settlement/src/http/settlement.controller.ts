import { Body, Controller, Get, Param, Post, Query, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ControlLog, controlActor, CurrentPrincipal, Principal, Public, Roles } from '@tally/auth';
import { accountRef } from '@tally/ledger';
import {
  ApiErrors,
  ErrorCode,
  badCursor,
  decodeCursorText,
  encodeCursorText,
  ForbiddenError,
  InvalidRequestError,
  NoFieldsRequestDto,
  pageLimit,
  PageQueryDto,
  UUID_PATTERN,
} from '@tally/shared';
import { SealBatchCommand } from '../commands/seal-batch/seal-batch.command';
import { GetBatchQuery } from '../queries/get-batch/get-batch.query';
import { GetAccountProofQuery } from '../queries/get-proof/get-account-proof.query';
import { GetTransferProofQuery } from '../queries/get-proof/get-transfer-proof.query';
import { GetSettlementStatusQuery } from '../queries/get-status/get-settlement-status.query';
import { ListBatchesQuery } from '../queries/list-batches/list-batches.query';
import { SettlementTicker } from '../ticks/settlement-ticker';
import {
  AccountProofResponseDto,
  BatchPageResponseDto,
  SealedBatchResponseDto,
  SealResponseDto,
  SettlementStatusResponseDto,
  TransferProofResponseDto,
} from './dto/settlement.response.dto';

const BATCH_NO = /^[1-9]\d{0,14}$/;
const UUID = new RegExp(UUID_PATTERN.source, 'i');

function batchNoOf(text: string): number {
  if (!BATCH_NO.test(text)) throw new InvalidRequestError('batch number must be a positive integer', { field: 'n' });
  return Number(text);
}

/** The account a client or prover key may prove: its own user or provider account. */
function ownsAccount(p: Principal, type: string, id: string): boolean {
  if (p.role === 'admin') return true;
  if (p.role === 'client') return type === 'user' && id === p.subject;
  if (p.role === 'prover') return type === 'provider' && id === p.subject;
  return false;
}

/**
 * Batches are public statements (roots, counts, supply, signature: no account or amount
 * of anyone), meant for the rollup and any auditor, so reading them needs no key. Proofs
 * reveal a transfer's legs or an account's balance: an admin may ask for any; a client or
 * prover only for its own account, or for a transfer with a leg on it.
 */
@ApiTags('settlement')
@Controller('settlement')
export class SettlementController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly ticker: SettlementTicker,
    private readonly controlLog: ControlLog,
  ) {}

  @Post('batches')
  @Roles('admin')
  @ApiOperation({
    operationId: 'settlement.seal',
    summary:
      'Seal now: 201 with the new batch, or 200 {sealed: false} when nothing new has committed below the horizon',
  })
  @ApiCreatedResponse({ type: SealResponseDto, description: 'sealed: true, with the new batch' })
  @ApiOkResponse({ type: SealResponseDto, description: 'sealed: false, with the reason in detail' })
  async seal(
    @Res({ passthrough: true }) res: FastifyReply,
    @Body() _body: NoFieldsRequestDto,
    @CurrentPrincipal() principal: Principal,
  ) {
    // Logged here, not by @ControlAction: the delivery below must start after the seal commits.
    const action = { actor: controlActor(principal), action: 'settlement.seal', fields: {} };
    const batch = await this.controlLog.run(action, () => this.commands.execute(new SealBatchCommand()));
    if (!batch) {
      res.status(200);
      return { sealed: false, detail: 'no transfers committed below the horizon since the last batch' };
    }
    this.ticker.deliverSoon();
    res.status(201);
    return { sealed: true, batch };
  }

  @Get('batches')
  @Public({ throttled: true })
  @ApiOkResponse({ type: BatchPageResponseDto })
  @ApiOperation({
    operationId: 'settlement.listBatches',
    summary: 'Sealed batches in batch order; keyset pages (cursor, limit ≤ 500)',
  })
  async list(@Query() q: PageQueryDto) {
    const limit = pageLimit(q.limit);
    let after = 0;
    if (q.cursor !== undefined) {
      const match = /^batch:(\d{1,15})$/.exec(decodeCursorText(q.cursor));
      if (!match) throw badCursor();
      after = Number(match[1]);
    }
    const items = await this.queries.execute(new ListBatchesQuery(after, limit));
    return {
      items,
      next_cursor: items.length === limit ? encodeCursorText(`batch:${items[items.length - 1].batch_no}`) : null,
    };
  }

  @Get('batches/:n')
  @Public({ throttled: true })
  @ApiOkResponse({ type: SealedBatchResponseDto })
  @ApiErrors(ErrorCode.NotFound)
  @ApiOperation({
    operationId: 'settlement.getBatch',
    summary: 'One sealed batch: header, roots, total supply, signature',
  })
  get(@Param('n') n: string) {
    return this.queries.execute(new GetBatchQuery(batchNoOf(n)));
  }

  @Get('batches/:n/proofs/transfers/:transfer_id')
  @Roles('admin', 'client', 'prover')
  @ApiOkResponse({ type: TransferProofResponseDto })
  @ApiErrors(ErrorCode.NotFound)
  @ApiOperation({
    operationId: 'settlement.transferProof',
    summary: "A transfer's statement and Merkle path to the batch's transfers_root",
  })
  async transferProof(
    @Param('n') n: string,
    @Param('transfer_id') transferId: string,
    @CurrentPrincipal() principal: Principal,
  ) {
    const batchNo = batchNoOf(n);
    if (!UUID.test(transferId)) throw new InvalidRequestError('transfer_id must be a UUID', { field: 'transfer_id' });
    const batch = await this.queries.execute(new GetBatchQuery(batchNo));
    const proof = await this.queries.execute(new GetTransferProofQuery(batchNo, transferId.toLowerCase()));
    if (!proof.transfer.legs.some((l) => ownsAccount(principal, l.account_type, l.account_id))) {
      throw new ForbiddenError('this key may prove only transfers with a leg on its own account');
    }
    return { ...proof, transfers_root: batch.transfers_root };
  }

  @Get('batches/:n/proofs/accounts/:account_type/:account_id')
  @Roles('admin', 'client', 'prover')
  @ApiOkResponse({ type: AccountProofResponseDto })
  @ApiErrors(ErrorCode.NotFound)
  @ApiOperation({
    operationId: 'settlement.accountProof',
    summary: "An account's balance after the batch and its Merkle sum path to balances_root",
  })
  async accountProof(
    @Param('n') n: string,
    @Param('account_type') type: string,
    @Param('account_id') id: string,
    @CurrentPrincipal() principal: Principal,
  ) {
    const batchNo = batchNoOf(n);
    const ref = accountRef(type, id);
    if (!ownsAccount(principal, ref.kind, ref.owner)) {
      throw new ForbiddenError('this key may prove only its own account');
    }
    const batch = await this.queries.execute(new GetBatchQuery(batchNo));
    const proof = await this.queries.execute(new GetAccountProofQuery(batchNo, ref.kind, ref.owner));
    return { ...proof, balances_root: batch.balances_root, total_supply: batch.total_supply };
  }

  @Get('status')
  @Roles('admin')
  @ApiOkResponse({ type: SettlementStatusResponseDto })
  @ApiOperation({
    operationId: 'settlement.status',
    summary: 'Sinks with their delivery status, the pending count, the last batch',
  })
  status() {
    return this.queries.execute(new GetSettlementStatusQuery());
  }
}
