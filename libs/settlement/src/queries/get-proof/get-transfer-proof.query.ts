import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { transferHash, type TransferProof } from '@tally/receipts';
import { NotFoundError } from '@tally/shared';
import { parseMember } from '../../domain';
import { SettlementRepository } from '../../persistence/settlement.repository';
import { TreeCache } from './tree-cache';

/** The transfer's statement and its Merkle path to the batch's transfers_root. */
export class GetTransferProofQuery extends Query<TransferProof> {
  constructor(
    readonly batchNo: number,
    readonly transferId: string,
  ) {
    super();
  }
}

@QueryHandler(GetTransferProofQuery)
export class GetTransferProofQueryHandler implements IQueryHandler<GetTransferProofQuery, TransferProof> {
  constructor(
    private readonly repo: SettlementRepository,
    private readonly cache: TreeCache,
  ) {}

  async execute({ batchNo, transferId }: GetTransferProofQuery): Promise<TransferProof> {
    const [{ tree, positions }, row, batch] = await Promise.all([
      this.cache.transfersOf(batchNo),
      this.repo.member(transferId),
      this.repo.batch(batchNo),
    ]);
    const position = positions.get(transferId);
    if (position === undefined || !row || !batch) {
      throw new NotFoundError(`transfer ${transferId} is not in batch ${batchNo}`, {
        batch_no: batchNo,
        transfer_id: transferId,
      });
    }
    const { statement } = parseMember(row, batch.version);
    return {
      batch_no: batchNo,
      transfer: statement,
      transfer_hash: transferHash(statement).toString('hex'),
      ...tree.proof(position),
    };
  }
}
