import type { AccountRef, PostingPurpose } from './account';

export const TRANSFER_KINDS = [
  'mint',
  'spend',
  'reward',
  'refund',
  'transfer',
  'hold',
  'capture',
  'void',
  'expire',
  'stake',
  'slash',
] as const;
export type TransferKind = (typeof TRANSFER_KINDS)[number];

export type Side = 'D' | 'C';
export type Phase = 'posted' | 'pending' | 'release';

/** One leg of a posting: an amount debited from or credited to an account. */
export interface Leg {
  account: AccountRef;
  side: Side;
  amount: bigint;
  phase?: Phase;
}

/** Who asked, and under which idempotency key, so a replay settles at most once. */
export interface Idempotency {
  scope: string;
  key: string;
  requestHash: string;
}

export interface References {
  jobId?: string;
  proverId?: string;
  memo?: string;
  metadata?: Record<string, unknown>;
}

/** What the ledger is asked to post: decided by the posting rules, written whole or not at all. */
export type PostingRequest = References & {
  id: string;
  idempotency?: Idempotency;
  /** Chained to the next request of its batch: the chain posts whole or not at all (see linked-chains). */
  linked?: boolean;
  /** An imported transfer's own time (migrated history): no earlier than the last imported one. */
  createdAt?: Date;
  /** The use case posting it, where it may move a reserved account (RESERVED_KINDS); never from a caller's body. */
  purpose?: PostingPurpose;
} & (
    | { kind: 'mint' | 'spend' | 'reward' | 'refund' | 'transfer' | 'stake' | 'slash'; legs: Leg[] }
    | { kind: 'hold'; from: AccountRef; to: AccountRef; amount: bigint; expiresAt?: Date }
    | { kind: 'capture'; holdId: string; amount: bigint; to: AccountRef }
    | { kind: 'void' | 'expire'; holdId: string }
  );

/** A debit from one account and a credit to another of the same amount. */
export function simpleLegs(from: AccountRef, to: AccountRef, amount: bigint): Leg[] {
  return [
    { account: from, side: 'D', amount },
    { account: to, side: 'C', amount },
  ];
}
