import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Query, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ControlAction, CurrentPrincipal, Principal, Roles } from '@tally/auth';
import {
  ApiErrors,
  ErrorCode,
  ForbiddenError,
  badCursor,
  decodeCursorText,
  Clock,
  encodeCursorText,
  hashOf,
  INT64_MAX,
  int64ToJson,
  InvalidRequestError,
  newId,
  NoFieldsRequestDto,
  pageLimit,
  NotFoundError,
  parseAmount,
  parseTimestamp,
} from '@tally/shared';
import {
  AccountNotFoundError,
  accountRef,
  AccountRef,
  balanceOf,
  PLATFORM,
  PostingRequest,
  providerAccount,
  simpleLegs,
  TRANSFER_KINDS,
  TransferKind,
  userAccount,
} from '../domain';
import { CreateAccountCommand } from '../commands/create-account/create-account.command';
import { PostTransferCommand } from '../commands/post-transfer/post-transfer.command';
import { LedgerReader } from '../persistence/ledger-reader';
import {
  AccountQueryDto,
  CaptureHoldRequestDto,
  CreateAccountRequestDto,
  ListHoldsQueryDto,
  ListTransactionsQueryDto,
  MintRequestDto,
  PlaceHoldRequestDto,
  RewardRequestDto,
  SpendRequestDto,
  TransferRequestDto,
} from './dto/credits.request.dto';
import {
  AccountDetailResponseDto,
  AccountResponseDto,
  HoldResponseDto,
  HoldPageResponseDto,
  PostingResponseDto,
  TransferPageResponseDto,
  TransferResponseDto,
} from './dto/credits.response.dto';
import { ApiIdempotencyKey, IdempotencyKey } from './idempotency-key.decorator';
import { decodeTimeIdCursor } from './keyset-cursor';
import { captureRequest, holdRequest, mintRequest, transferRequest, voidRequest } from './posting-requests';
import { presentAccount, presentBalance, presentHold, presentPosting, presentTransfer } from './transfer.presenter';

const RECENT_TRANSACTIONS = 20;

/** The account a client or prover key may see: its own user or provider account. */
function ownAccount(p: Principal): AccountRef | undefined {
  if (p.role === 'client') return userAccount(p.subject);
  if (p.role === 'prover') return providerAccount(p.subject);
  return undefined;
}

@ApiTags('credits')
@Controller('credits')
export class CreditsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly reader: LedgerReader,
    private readonly clock: Clock,
  ) {}

  /** A key is the caller's own (scope), and stands for one request: this route with this body. */
  private idempotencyOf(req: FastifyRequest, principal: Principal, key: string) {
    return {
      scope: `${principal.role}:${principal.subject}`,
      key,
      requestHash: hashOf({ route: req.routeOptions.url, body: req.body ?? null }),
    };
  }

  /** Posts through the ledger; a replayed key answers as the first time, flagged. */
  private async post(
    req: FastifyRequest,
    res: FastifyReply,
    principal: Principal,
    key: string,
    build: (id: string) => PostingRequest,
  ) {
    const idempotency = this.idempotencyOf(req, principal, key);
    const result = await this.commands.execute(new PostTransferCommand({ ...build(newId()), idempotency }));
    if (result.replayed) res.header('Idempotent-Replayed', 'true');
    if (!result.ok) throw result.error;
    res.status(201);
    return presentPosting(result.transfer);
  }

  @Post('mint')
  @Roles('admin')
  @ControlAction('credits.mint', { keepsRejections: true })
  @ApiIdempotencyKey()
  @ApiOperation({ operationId: 'credits.mint', summary: 'Mint credits from the issuance account into an account' })
  @ApiCreatedResponse({ type: PostingResponseDto, description: "the transfer, with each account's balance after it" })
  mint(
    @Body() dto: MintRequestDto,
    @IdempotencyKey() key: string,
    @CurrentPrincipal() principal: Principal,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) res: FastifyReply,
  ) {
    const request = mintRequest('', dto); // refused here if malformed, before its key is claimed
    return this.post(req, res, principal, key, (id) => ({ ...request, id }));
  }

  @Post('spend')
  @Roles('admin', 'client')
  @ControlAction('credits.spend', { roles: ['admin'], keepsRejections: true })
  @ApiIdempotencyKey()
  @ApiOperation({
    operationId: 'credits.spend',
    summary: "Spend from the caller's user account into the platform account",
  })
  @ApiCreatedResponse({ type: PostingResponseDto, description: "the transfer, with each account's balance after it" })
  @ApiErrors(ErrorCode.InsufficientCredits, ErrorCode.AccountNotFound)
  spend(
    @Body() dto: SpendRequestDto,
    @IdempotencyKey() key: string,
    @CurrentPrincipal() principal: Principal,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) res: FastifyReply,
  ) {
    let owner = principal.subject;
    if (dto.account_id !== undefined) {
      if (principal.role !== 'admin') throw new ForbiddenError('only an admin may name the account to spend from');
      owner = dto.account_id;
    } else if (principal.role === 'admin') {
      throw new InvalidRequestError('an admin must name account_id to spend from', { field: 'account_id' });
    }
    const amount = parseAmount(dto.amount);
    return this.post(req, res, principal, key, (id) => ({
      id,
      kind: 'spend',
      legs: simpleLegs(userAccount(owner), PLATFORM, amount),
      memo: dto.memo,
      metadata: dto.metadata,
      jobId: dto.job_id,
    }));
  }

  @Post('reward')
  @Roles('admin')
  @ControlAction('credits.reward', { keepsRejections: true })
  @ApiIdempotencyKey()
  @ApiOperation({ operationId: 'credits.reward', summary: 'Reward a prover from the platform account' })
  @ApiCreatedResponse({ type: PostingResponseDto, description: "the transfer, with each account's balance after it" })
  @ApiErrors(ErrorCode.InsufficientCredits)
  reward(
    @Body() dto: RewardRequestDto,
    @IdempotencyKey() key: string,
    @CurrentPrincipal() principal: Principal,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) res: FastifyReply,
  ) {
    const amount = parseAmount(dto.amount);
    return this.post(req, res, principal, key, (id) => ({
      id,
      kind: 'reward',
      legs: simpleLegs(PLATFORM, providerAccount(dto.prover_id), amount),
      proverId: dto.prover_id,
      memo: dto.memo,
      metadata: dto.metadata,
      jobId: dto.job_id,
    }));
  }

  @Post('transfer')
  @Roles('admin')
  @ControlAction('credits.transfer', { keepsRejections: true })
  @ApiIdempotencyKey()
  @ApiOperation({
    operationId: 'credits.transfer',
    summary: 'Any balanced transfer: from/to/amount, or entries whose debits equal their credits',
  })
  @ApiCreatedResponse({ type: PostingResponseDto, description: "the transfer, with each account's balance after it" })
  @ApiErrors(ErrorCode.InsufficientCredits, ErrorCode.AccountNotFound)
  transfer(
    @Body() dto: TransferRequestDto,
    @IdempotencyKey() key: string,
    @CurrentPrincipal() principal: Principal,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) res: FastifyReply,
  ) {
    const request = transferRequest('', dto);
    return this.post(req, res, principal, key, (id) => ({ ...request, id }));
  }

  @Post('accounts')
  @Roles('admin')
  @ControlAction('credits.createAccount')
  @ApiIdempotencyKey()
  @ApiOperation({
    operationId: 'credits.createAccount',
    summary: 'Create a user or provider account (an existing one is returned unchanged, 200)',
  })
  @ApiCreatedResponse({ type: AccountResponseDto, description: 'the account, created' })
  @ApiOkResponse({ type: AccountResponseDto, description: 'the account, which existed already (unchanged)' })
  async createAccount(
    @Body() dto: CreateAccountRequestDto,
    @IdempotencyKey() key: string,
    @CurrentPrincipal() principal: Principal,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) res: FastifyReply,
  ) {
    const { account, created, replayed } = await this.commands.execute(
      new CreateAccountCommand(
        accountRef(dto.account_type, dto.account_id),
        dto.metadata ?? {},
        this.idempotencyOf(req, principal, key),
      ),
    );
    if (replayed) res.header('Idempotent-Replayed', 'true');
    res.status(created ? 201 : 200);
    return presentAccount(account);
  }

  @Post('holds')
  @Roles('admin')
  @ControlAction('credits.placeHold', { keepsRejections: true })
  @ApiIdempotencyKey()
  @ApiOperation({
    operationId: 'credits.placeHold',
    summary: "Hold credits: move them from an account's available balance into escrow, pending",
  })
  @ApiCreatedResponse({ type: PostingResponseDto, description: "the transfer, with each account's balance after it" })
  @ApiErrors(ErrorCode.InsufficientCredits, ErrorCode.AccountNotFound)
  placeHold(
    @Body() dto: PlaceHoldRequestDto,
    @IdempotencyKey() key: string,
    @CurrentPrincipal() principal: Principal,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) res: FastifyReply,
  ) {
    const request = holdRequest('', dto, this.clock.now());
    return this.post(req, res, principal, key, (id) => ({ ...request, id }));
  }

  @Post('holds/:hold_id/capture')
  @Roles('admin')
  @ControlAction('credits.captureHold', { keepsRejections: true })
  @ApiIdempotencyKey()
  @ApiOperation({
    operationId: 'credits.captureHold',
    summary: 'Capture part or all of a hold; the rest is released in the same transaction',
  })
  @ApiCreatedResponse({ type: PostingResponseDto, description: "the transfer, with each account's balance after it" })
  @ApiErrors(ErrorCode.NotFound, ErrorCode.IllegalTransition, ErrorCode.CostCeilingExceeded, ErrorCode.AccountNotFound)
  captureHold(
    @Param('hold_id', new ParseUUIDPipe()) holdId: string,
    @Body() dto: CaptureHoldRequestDto,
    @IdempotencyKey() key: string,
    @CurrentPrincipal() principal: Principal,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) res: FastifyReply,
  ) {
    const request = captureRequest('', holdId, dto);
    return this.post(req, res, principal, key, (id) => ({ ...request, id }));
  }

  @Post('holds/:hold_id/void')
  @Roles('admin')
  @ControlAction('credits.voidHold', { keepsRejections: true })
  @ApiIdempotencyKey()
  @ApiOperation({ operationId: 'credits.voidHold', summary: 'Void a hold: release all of it' })
  @ApiCreatedResponse({ type: PostingResponseDto, description: "the transfer, with each account's balance after it" })
  @ApiErrors(ErrorCode.NotFound, ErrorCode.IllegalTransition)
  voidHold(
    @Param('hold_id', new ParseUUIDPipe()) holdId: string,
    @Body() _body: NoFieldsRequestDto,
    @IdempotencyKey() key: string,
    @CurrentPrincipal() principal: Principal,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) res: FastifyReply,
  ) {
    return this.post(req, res, principal, key, (id) => voidRequest(id, holdId));
  }

  @Get('holds/:hold_id')
  @Roles('admin')
  @ApiOperation({ operationId: 'credits.getHold', summary: 'A hold: amount, captured, status and the accounts' })
  @ApiOkResponse({ type: HoldResponseDto })
  @ApiErrors(ErrorCode.NotFound)
  async getHold(@Param('hold_id', new ParseUUIDPipe()) holdId: string) {
    const hold = await this.reader.getHold(holdId);
    if (!hold) throw new NotFoundError(`no hold ${holdId}`);
    return presentHold(hold);
  }

  @Get('accounts/:account_type/:account_id')
  @Roles('admin', 'client', 'prover')
  @ApiOperation({
    operationId: 'credits.getAccount',
    summary: 'Balance (posted, pending, available), version and the 20 most recent transactions',
  })
  @ApiOkResponse({ type: AccountDetailResponseDto })
  @ApiErrors(ErrorCode.AccountNotFound)
  async getAccount(
    @Param('account_type') type: string,
    @Param('account_id') owner: string,
    @Query() query: AccountQueryDto,
    @CurrentPrincipal() principal: Principal,
  ) {
    const ref = accountRef(type, owner);
    const own = ownAccount(principal);
    if (own && (own.kind !== ref.kind || own.owner !== ref.owner)) {
      throw new ForbiddenError('a client or prover key may read only its own account');
    }
    const account = await this.reader.findAccount(ref);
    if (!account) throw new AccountNotFoundError(ref.kind, ref.owner);
    const asOf = parseTimestamp(query.as_of, 'as_of');
    // Through the whole millisecond: the API shows times to the millisecond and the database
    // keeps microseconds, so a transfer's own created_at must include it.
    const until = asOf && new Date(asOf.getTime() + 1);
    const counters = until ? await this.reader.countersBefore(account.id, until) : account;
    const recent = await this.reader.listTransfers({
      accountId: account.id,
      to: until,
      limit: RECENT_TRANSACTIONS,
    });
    return {
      account_type: account.kind,
      account_id: account.owner,
      currency: account.currency,
      version: int64ToJson(counters.version),
      ...(asOf ? { as_of: asOf.toISOString() } : {}),
      metadata: account.metadata,
      created_at: account.createdAt,
      balance: presentBalance(balanceOf(counters)),
      recent_transactions: recent.map(presentTransfer),
    };
  }

  @Get('accounts/:account_type/:account_id/holds')
  @Roles('admin', 'client', 'prover')
  @ApiOperation({
    operationId: 'credits.listAccountHolds',
    summary: "An account's holds (it is debited or credited by), newest first, by status; keyset pages",
  })
  @ApiOkResponse({ type: HoldPageResponseDto })
  @ApiErrors(ErrorCode.AccountNotFound)
  async listAccountHolds(
    @Param('account_type') type: string,
    @Param('account_id') owner: string,
    @Query() q: ListHoldsQueryDto,
    @CurrentPrincipal() principal: Principal,
  ) {
    const ref = accountRef(type, owner);
    const own = ownAccount(principal);
    if (own && (own.kind !== ref.kind || own.owner !== ref.owner)) {
      throw new ForbiddenError('a client or prover key may read only its own account');
    }
    const limit = pageLimit(q.limit);
    const before = q.cursor === undefined ? undefined : decodeTimeIdCursor(q.cursor);
    const account = await this.reader.findAccount(ref);
    if (!account) throw new AccountNotFoundError(ref.kind, ref.owner);
    const rows = await this.reader.listHolds({ accountId: account.id, status: q.status, before, limit });
    const last = rows[rows.length - 1];
    return {
      items: rows.map(({ cursor_at: _, ...hold }) => presentHold(hold)),
      next_cursor: rows.length === limit ? encodeCursorText(`${last.cursor_at}|${last.id}`) : null,
    };
  }

  @Get('transactions')
  @Roles('admin', 'client', 'prover')
  @ApiOperation({
    operationId: 'credits.listTransactions',
    summary: 'Transactions, newest first, with filters and a keyset cursor (limit ≤ 500)',
  })
  @ApiOkResponse({ type: TransferPageResponseDto })
  async listTransactions(@Query() q: ListTransactionsQueryDto, @CurrentPrincipal() principal: Principal) {
    if ((q.account_type === undefined) !== (q.account_id === undefined)) {
      throw new InvalidRequestError('account_type and account_id go together');
    }
    if (q.kind !== undefined && q.reason !== undefined && q.kind !== q.reason) {
      throw new InvalidRequestError('kind and reason name the same filter and differ', { field: 'reason' });
    }
    const kind = q.kind ?? q.reason;
    const field = q.kind !== undefined ? 'kind' : 'reason';
    if (kind !== undefined && !(TRANSFER_KINDS as readonly string[]).includes(kind)) {
      throw new InvalidRequestError(`${field} must be one of ${TRANSFER_KINDS.join(', ')}`, { field });
    }
    let ref = q.account_type ? accountRef(q.account_type, q.account_id!) : undefined;
    const own = ownAccount(principal);
    if (own) {
      if (ref && (ref.kind !== own.kind || ref.owner !== own.owner)) {
        throw new ForbiddenError('a client or prover key may list only its own transactions');
      }
      ref = own;
    }
    const limit = pageLimit(q.limit);
    const page = { items: [] as ReturnType<typeof presentTransfer>[], next_cursor: null as string | null };
    let accountId: string | undefined;
    if (ref) {
      const account = await this.reader.findAccount(ref);
      if (!account) return page;
      accountId = account.id;
    }
    const rows = await this.reader.listTransfers({
      accountId,
      jobId: q.job_id,
      kind: kind as TransferKind | undefined,
      from: parseTimestamp(q.from, 'from'),
      to: parseTimestamp(q.to, 'to'),
      beforeSeq: decodeCursor(q.cursor),
      limit,
    });
    page.items = rows.map(presentTransfer);
    if (rows.length === limit) page.next_cursor = encodeCursor(rows[rows.length - 1].seq);
    return page;
  }

  @Get('transactions/:transfer_id')
  @Roles('admin', 'client', 'prover')
  @ApiOperation({ operationId: 'credits.getTransaction', summary: 'One transaction (a transfer with its entries)' })
  @ApiOkResponse({ type: TransferResponseDto })
  @ApiErrors(ErrorCode.NotFound)
  async getTransaction(
    @Param('transfer_id', new ParseUUIDPipe()) id: string,
    @CurrentPrincipal() principal: Principal,
  ) {
    const transfer = await this.reader.getTransfer(id);
    const own = ownAccount(principal);
    const visible =
      transfer && (!own || transfer.entries.some((e) => e.account_type === own.kind && e.account_id === own.owner));
    // A transfer of someone else's is as unknown to the caller as one that does not exist.
    if (!visible) throw new NotFoundError(`no transaction ${id}`);
    return presentTransfer(transfer);
  }
}

function encodeCursor(seq: string): string {
  return encodeCursorText(`seq:${seq}`);
}

function decodeCursor(cursor: string | undefined): bigint | undefined {
  if (cursor === undefined) return undefined;
  const match = /^seq:(\d{1,19})$/.exec(decodeCursorText(cursor));
  // 19 digits reach past int64: such a seq was never handed out (and Postgres would refuse it).
  if (!match || BigInt(match[1]) > INT64_MAX) throw badCursor();
  return BigInt(match[1]);
}
