import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { ProverNotFoundError } from '../../domain';
import { ProverRepository, ScoreHistoryRow } from '../../persistence/prover.repository';

/** A prover's latest `limit` applied score events, oldest first (DSE-004 when unknown). */
export class ScoreHistoryQuery extends Query<ScoreHistoryRow[]> {
  constructor(
    readonly proverId: string,
    readonly limit: number,
  ) {
    super();
  }
}

@QueryHandler(ScoreHistoryQuery)
export class ScoreHistoryQueryHandler implements IQueryHandler<ScoreHistoryQuery, ScoreHistoryRow[]> {
  constructor(private readonly provers: ProverRepository) {}

  async execute({ proverId, limit }: ScoreHistoryQuery): Promise<ScoreHistoryRow[]> {
    const history = await this.provers.scoreHistory(proverId, limit);
    if (!history) throw new ProverNotFoundError(proverId);
    return history;
  }
}
