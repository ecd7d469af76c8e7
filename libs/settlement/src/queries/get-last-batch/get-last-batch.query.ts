import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import type { SealedBatch } from '@tally/receipts';
import { BatchDeliveryRow, DeliveryRepository } from '../../persistence/delivery.repository';
import { SettlementRepository } from '../../persistence/settlement.repository';

export interface LastBatch {
  batch: SealedBatch;
  /** Each sink's delivery of it. */
  sinks: BatchDeliveryRow[];
}

/** The last sealed batch with each sink's delivery of it; null before the first seal. */
export class GetLastBatchQuery extends Query<LastBatch | null> {}

@QueryHandler(GetLastBatchQuery)
export class GetLastBatchQueryHandler implements IQueryHandler<GetLastBatchQuery, LastBatch | null> {
  constructor(
    private readonly batches: SettlementRepository,
    private readonly deliveries: DeliveryRepository,
  ) {}

  async execute(): Promise<LastBatch | null> {
    const batch = await this.batches.lastBatch();
    if (!batch) return null;
    return { batch, sinks: await this.deliveries.batchDeliveries(batch.batch_no) };
  }
}
