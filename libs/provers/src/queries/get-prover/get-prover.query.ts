import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { ProverNotFoundError } from '../../domain';
import { ProverRepository, ProverRow } from '../../persistence/prover.repository';

/** One prover as stored (DSE-004 when unknown). */
export class GetProverQuery extends Query<ProverRow> {
  constructor(readonly proverId: string) {
    super();
  }
}

@QueryHandler(GetProverQuery)
export class GetProverQueryHandler implements IQueryHandler<GetProverQuery, ProverRow> {
  constructor(private readonly provers: ProverRepository) {}

  async execute({ proverId }: GetProverQuery): Promise<ProverRow> {
    const prover = await this.provers.find(proverId);
    if (!prover) throw new ProverNotFoundError(proverId);
    return prover;
  }
}
