import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import type { SealedBatch } from '@tally/receipts';
import { SettlementRepository } from '../../persistence/settlement.repository';

/** Batches in batch order after `after` (keyset), at most `limit`. */
export class ListBatchesQuery extends Query<SealedBatch[]> {
  constructor(
    readonly after: number,
    readonly limit: number,
  ) {
    super();
  }
}

@QueryHandler(ListBatchesQuery)
export class ListBatchesQueryHandler implements IQueryHandler<ListBatchesQuery, SealedBatch[]> {
  constructor(private readonly repo: SettlementRepository) {}

  execute({ after, limit }: ListBatchesQuery): Promise<SealedBatch[]> {
    return this.repo.batches(after, limit);
  }
}
