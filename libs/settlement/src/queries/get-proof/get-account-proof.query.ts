import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import type { AccountProof } from '@tally/receipts';
import { AccountNotFoundError } from '@tally/ledger';
import { NotFoundError } from '@tally/shared';
import { SettlementRepository } from '../../persistence/settlement.repository';
import { TreeCache } from './tree-cache';

/** The account's balance after the batch and its Merkle sum path to balances_root. */
export class GetAccountProofQuery extends Query<AccountProof> {
  constructor(
    readonly batchNo: number,
    readonly accountType: string,
    readonly accountId: string,
  ) {
    super();
  }
}

@QueryHandler(GetAccountProofQuery)
export class GetAccountProofQueryHandler implements IQueryHandler<GetAccountProofQuery, AccountProof> {
  constructor(
    private readonly repo: SettlementRepository,
    private readonly cache: TreeCache,
  ) {}

  async execute({ batchNo, accountType, accountId }: GetAccountProofQuery): Promise<AccountProof> {
    const { tree, accounts, positions } = await this.cache.balancesOf(batchNo);
    const position = positions.get(`${accountType}/${accountId}`);
    if (position === undefined) {
      if (!(await this.repo.accountId(accountType, accountId))) throw new AccountNotFoundError(accountType, accountId);
      throw new NotFoundError(
        accountType === 'issuance'
          ? 'the issuance account is not a leaf: its balance is minus total_supply'
          : `${accountType}/${accountId} has no settled balance as of batch ${batchNo}`,
        { batch_no: batchNo, account_type: accountType, account_id: accountId },
      );
    }
    return {
      batch_no: batchNo,
      account_type: accountType,
      account_id: accountId,
      balance: accounts[position].balance.toString(),
      ...tree.proof(position),
    };
  }
}
