import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import type { SealedBatch } from '@tally/receipts';
import { NotFoundError } from '@tally/shared';
import { SettlementRepository } from '../../persistence/settlement.repository';

/** One sealed batch; 404 (DSE-001) when there is no such batch. */
export class GetBatchQuery extends Query<SealedBatch> {
  constructor(readonly batchNo: number) {
    super();
  }
}

@QueryHandler(GetBatchQuery)
export class GetBatchQueryHandler implements IQueryHandler<GetBatchQuery, SealedBatch> {
  constructor(private readonly repo: SettlementRepository) {}

  async execute({ batchNo }: GetBatchQuery): Promise<SealedBatch> {
    const batch = await this.repo.batch(batchNo);
    if (!batch) throw new NotFoundError(`no settlement batch ${batchNo}`, { batch_no: batchNo });
    return batch;
  }
}
