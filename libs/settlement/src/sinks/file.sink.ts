import { randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SealedBatch } from '@tally/receipts';
import type { SettlementSink } from '../domain';

/** The file of a batch: zero-padded so a directory listing is in batch order. */
export const batchFileName = (batchNo: number) => `batch-${String(batchNo).padStart(12, '0')}.json`;

/**
 * One JSON file per batch in a directory, written atomically: a temporary file in the same
 * directory, flushed, then renamed over the final name, so a reader never sees half a batch.
 */
export class FileSink implements SettlementSink {
  readonly name = 'file';

  constructor(private readonly dir: string) {}

  get target(): string {
    return this.dir;
  }

  async deliver(batch: SealedBatch): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const final = join(this.dir, batchFileName(batch.batch_no));
    const temp = join(this.dir, `.${batchFileName(batch.batch_no)}.${randomBytes(4).toString('hex')}.tmp`);
    await writeFile(temp, `${JSON.stringify(batch, null, 2)}\n`, { flush: true });
    await rename(temp, final);
  }
}
