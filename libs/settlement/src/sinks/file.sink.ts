import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SealedBatch } from '@tally/receipts';
import type { SettlementSink, SinkAck, SinkTier } from '../domain';

/** The file of a batch: zero-padded so a directory listing is in batch order. */
export const batchFileName = (batchNo: number) => `batch-${String(batchNo).padStart(12, '0')}.json`;

/**
 * One JSON file per batch in a directory, written atomically: a temporary file in the same
 * directory, flushed, then renamed over the final name, so a reader never sees half a batch.
 * Rewriting a batch's file leaves the same content. The ack is what the file holds, read back.
 */
export class FileSink implements SettlementSink {
  constructor(
    readonly name: string,
    readonly tier: SinkTier,
    private readonly dir: string,
  ) {}

  get target(): string {
    return this.dir;
  }

  async deliver(batch: SealedBatch): Promise<SinkAck> {
    await mkdir(this.dir, { recursive: true });
    const final = join(this.dir, batchFileName(batch.batch_no));
    const temp = join(this.dir, `.${batchFileName(batch.batch_no)}.${randomBytes(4).toString('hex')}.tmp`);
    await writeFile(temp, `${JSON.stringify(batch, null, 2)}\n`, { flush: true });
    await rename(temp, final);
    const stored = JSON.parse(await readFile(final, 'utf8')) as SealedBatch;
    return {
      batch_hash: stored.batch_hash,
      transfers_root: stored.transfers_root,
      balances_root: stored.balances_root,
    };
  }
}
