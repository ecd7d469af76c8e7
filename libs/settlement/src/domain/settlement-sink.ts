import type { SealedBatch } from '@tally/receipts';

/** What a sink says it stored: compared with the sealed chain by the consistency report. */
export interface SinkAck {
  batch_hash: string;
  transfers_root: string;
  balances_root: string;
}

/** The ack of a sink that stores the batch as sent (and echoes nothing back). */
export const ackOf = (batch: SealedBatch): SinkAck => ({
  batch_hash: batch.batch_hash,
  transfers_root: batch.transfers_root,
  balances_root: batch.balances_root,
});

/**
 * Whatever consumes sealed batches (a webhook, files, later the rollup). Batches reach a
 * sink in batch order, each until delivered: `deliver` resolves with what the sink holds
 * once it holds the batch, and throws otherwise. A sink may see a batch twice (after a
 * crash between its answer and our record of it, or a primary catching up on what a
 * fallback took), so it should dedup by `dedupeKey(batch)`.
 */
export interface SettlementSink {
  /** Stable name: it keys the delivery status rows. */
  readonly name: string;
  /** Where it delivers, for the status route (never a secret). */
  readonly target: string;
  deliver(batch: SealedBatch): Promise<SinkAck>;
}

/** The key a receiver dedups a batch by: the same on every sink and every retry. */
export const dedupeKey = (batch: SealedBatch) => `${batch.batch_no}:${batch.batch_hash}`;

/** Delay before retry number `attempts` (1-based): base, doubling, capped at max. */
export function retryDelayMs(attempts: number, baseMs: number, maxMs: number): number {
  const exp = Math.min(Math.max(attempts - 1, 0), 40);
  return Math.min(baseMs * 2 ** exp, maxMs);
}
