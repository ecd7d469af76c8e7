import { createHash } from 'node:crypto';
import type { Phase, Side } from './transfer';

/** An account's hash chain head before its first transfer. */
export const GENESIS_HEAD: Buffer = Buffer.alloc(32);

/** How one leg enters its account's hash chain. */
export const legText = (l: { side: Side | string; phase: Phase | string; amount: bigint | string }): string =>
  `${l.side}:${l.phase}:${l.amount}`;

/**
 * An account's next chain head: one link per transfer that touches it, over that transfer's
 * legs on the account in leg order (their `legText`s joined by commas).
 */
export function nextHead(head: Buffer, transferId: string, legs: string): Buffer {
  return createHash('sha256').update(head).update(`${transferId}|${legs}`).digest();
}
