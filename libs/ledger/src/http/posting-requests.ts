import { InvalidRequestError, parseAmount } from '@tally/shared';
import {
  accountRef,
  type AccountRef,
  ESCROW,
  ISSUANCE,
  isBalanced,
  type Leg,
  PLATFORM,
  type PostingRequest,
  simpleLegs,
  UNBALANCED_DETAIL,
} from '../domain';
import type {
  AccountRefDto,
  CaptureHoldRequestDto,
  MintRequestDto,
  PlaceHoldRequestDto,
  TransferRequestDto,
} from './dto/credits.request.dto';

/**
 * What each posting route's body asks the ledger for: one builder per kind, shared by the
 * single routes and the batch route's items, so a body means the same on both.
 */

export const refOf = (dto: AccountRefDto): AccountRef => accountRef(dto.account_type, dto.account_id);

const references = (dto: { memo?: string; metadata?: Record<string, unknown>; job_id?: string }) => ({
  memo: dto.memo,
  metadata: dto.metadata,
  jobId: dto.job_id,
});

export function mintRequest(id: string, dto: MintRequestDto): PostingRequest {
  const to = accountRef(dto.account_type, dto.account_id);
  return { id, kind: 'mint', legs: simpleLegs(ISSUANCE, to, parseAmount(dto.amount)), ...references(dto) };
}

export function transferRequest(id: string, dto: TransferRequestDto): PostingRequest {
  return { id, kind: 'transfer', legs: transferLegs(dto), ...references(dto) };
}

export function holdRequest(id: string, dto: PlaceHoldRequestDto, now: Date): PostingRequest {
  const amount = parseAmount(dto.amount);
  const from = accountRef(dto.account_type, dto.account_id);
  const expiresAt = dto.expires_in_seconds ? new Date(now.getTime() + dto.expires_in_seconds * 1000) : undefined;
  return { id, kind: 'hold', from, to: ESCROW, amount, expiresAt, ...references(dto) };
}

export function captureRequest(id: string, holdId: string, dto: CaptureHoldRequestDto): PostingRequest {
  const amount = parseAmount(dto.amount); // > 0: releasing all of it is a void
  return { id, kind: 'capture', holdId, amount, to: dto.to ? refOf(dto.to) : PLATFORM };
}

export function voidRequest(id: string, holdId: string): PostingRequest {
  return { id, kind: 'void', holdId };
}

function transferLegs(dto: TransferRequestDto): Leg[] {
  const simple = dto.from !== undefined || dto.to !== undefined || dto.amount !== undefined;
  if (simple === (dto.entries !== undefined)) {
    throw new InvalidRequestError('give either from, to and amount, or entries');
  }
  if (simple) {
    if (!dto.from || !dto.to || dto.amount === undefined) {
      throw new InvalidRequestError('from, to and amount are all required');
    }
    return simpleLegs(refOf(dto.from), refOf(dto.to), parseAmount(dto.amount));
  }
  const legs: Leg[] = dto.entries!.map((e, i) => ({
    account: refOf(e),
    side: e.side === 'debit' ? 'D' : 'C',
    amount: parseAmount(e.amount, `entries[${i}].amount`),
  }));
  // Refused before its Idempotency-Key is claimed, like any malformed request (the ledger refuses it too).
  if (!isBalanced(legs)) throw new InvalidRequestError(UNBALANCED_DETAIL);
  return legs;
}
