import { DomainError, ErrorCode, NotFoundError } from '@tally/shared';
import { PAYOUT, type AccountRef, providerAccount } from './account';
import type { PostingRequest } from './transfer';

/**
 * A payout: a prover's available earnings on their way out of the ledger. Requesting one
 * holds the amount on the prover's provider account toward the payout clearing account
 * (pending); confirming it (its money left, `external_ref` says where) captures the hold into
 * the payout account; failing it voids the hold, and the prover has the credits again.
 */
export const PAYOUT_STATUSES = ['pending', 'confirmed', 'failed'] as const;
export type PayoutStatus = (typeof PAYOUT_STATUSES)[number];

/** What a new payout is. */
export const INITIAL_PAYOUT_STATUS: PayoutStatus = 'pending';

/**
 * The payout state machine: every legal move, and the one source of each statement's guard
 * (`WHERE status IN (from)`) and target. Each is made once: confirmed and failed are final.
 */
export const PAYOUT_MOVES = {
  confirm: { from: ['pending'], to: 'confirmed' },
  fail: { from: ['pending'], to: 'failed' },
} as const satisfies Record<string, { from: readonly PayoutStatus[]; to: PayoutStatus }>;

export type PayoutMove = keyof typeof PAYOUT_MOVES;

/** A payout as the ledger keeps it (amounts in micros). */
export interface Payout {
  id: string;
  proverId: string;
  amountMicros: bigint;
  status: PayoutStatus;
  holdId: string;
  externalRef: string | null;
  reason: string | null;
  createdAt: string;
  resolvedAt: string | null;
}

/** What a confirm or fail asks: the move, and what it records (the external_ref or the reason). */
export interface PayoutResolution {
  move: PayoutMove;
  note: string;
}

/**
 * Whether `resolution` applies to `payout` now (`apply`), was made already with the same note
 * (`replay`: answered as the first time), or is refused: DSE-010 for a payout already
 * confirmed or failed otherwise.
 */
export function decidePayoutMove(payout: Payout, resolution: PayoutResolution): 'apply' | 'replay' {
  const move = PAYOUT_MOVES[resolution.move];
  if ((move.from as readonly PayoutStatus[]).includes(payout.status)) return 'apply';
  if (payout.status === move.to && noteOf(payout) === resolution.note) return 'replay';
  const why =
    payout.status === move.to
      ? `the payout was ${payout.status} already, with another ${resolution.move === 'confirm' ? 'external_ref' : 'reason'}`
      : `a ${payout.status} payout cannot become ${move.to}`;
  throw new DomainError(ErrorCode.IllegalTransition, why, { from: payout.status, to: move.to, payout_id: payout.id });
}

const noteOf = (p: Payout) => (p.status === 'confirmed' ? p.externalRef : p.reason);

/** The posting that requests a payout: a hold of `amount` on the prover's account toward the payout account. */
export function payoutHold(id: string, proverId: string, payoutId: string, amount: bigint): PostingRequest {
  return {
    id,
    kind: 'hold',
    from: providerAccount(proverId),
    to: PAYOUT,
    amount,
    proverId,
    memo: 'payout',
    metadata: { payout_id: payoutId },
    purpose: 'payout',
  };
}

/** The posting that makes a move: a confirm captures the whole hold into the payout account, a fail voids it. */
export function payoutResolution(id: string, payout: Payout, move: PayoutMove): PostingRequest {
  const references = { proverId: payout.proverId, metadata: { payout_id: payout.id }, purpose: 'payout' as const };
  if (move === 'fail') return { id, kind: 'void', holdId: payout.holdId, ...references };
  const to: AccountRef = PAYOUT;
  return { id, kind: 'capture', holdId: payout.holdId, amount: payout.amountMicros, to, ...references };
}

export class PayoutNotFoundError extends NotFoundError {
  constructor(proverId: string, payoutId: string) {
    super(`prover ${proverId} has no payout ${payoutId}`);
  }
}
