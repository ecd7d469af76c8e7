import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { LedgerQueries, type StakeTotals } from '@tally/ledger';

/** A prover's stake in micros: bonded, unbonding, slashed to date and earned to date (zeros without any). */
export class ProverStakeQuery extends Query<StakeTotals> {
  constructor(readonly proverId: string) {
    super();
  }
}

@QueryHandler(ProverStakeQuery)
export class ProverStakeQueryHandler implements IQueryHandler<ProverStakeQuery, StakeTotals> {
  constructor(private readonly ledger: LedgerQueries) {}

  execute({ proverId }: ProverStakeQuery): Promise<StakeTotals> {
    return this.ledger.stakeOf(proverId);
  }
}
