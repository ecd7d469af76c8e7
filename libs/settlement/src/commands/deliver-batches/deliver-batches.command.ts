import { Command } from '@nestjs/cqrs';

/** Delivers every due batch to every sink, in batch order per sink; returns how many were delivered. */
export class DeliverBatchesCommand extends Command<number> {}
