import { Command } from '@nestjs/cqrs';
import type { SealedBatch } from '@tally/receipts';

/** Seals the transfers committed since the last batch; null when there is nothing new below the horizon. */
export class SealBatchCommand extends Command<SealedBatch | null> {}
