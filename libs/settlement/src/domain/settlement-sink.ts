import type { SealedBatch } from '@tally/receipts';

/**
 * Whatever consumes sealed batches (a webhook, files, later the rollup). Batches reach a
 * sink in batch order, each until delivered: `deliver` resolves once the sink holds the
 * batch and throws otherwise. A sink may see a batch twice (after a crash between its
 * answer and our record of it), so it should dedup by batch_no.
 */
export interface SettlementSink {
  /** Stable name: it keys the delivery status rows. */
  readonly name: string;
  /** Where it delivers, for the status route (never a secret). */
  readonly target: string;
  deliver(batch: SealedBatch): Promise<void>;
}

/** DI token of the configured sinks (an array). */
export const SETTLEMENT_SINKS = Symbol('SETTLEMENT_SINKS');

/** Delay before retry number `attempts` (1-based): base, doubling, capped at max. */
export function retryDelayMs(attempts: number, baseMs: number, maxMs: number): number {
  const exp = Math.min(Math.max(attempts - 1, 0), 40);
  return Math.min(baseMs * 2 ** exp, maxMs);
}
