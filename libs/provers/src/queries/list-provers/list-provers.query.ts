import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { TallyEnv } from '@tally/shared';
import type { ProverState } from '../../domain';
import { ProverRepository, ProverRow } from '../../persistence/prover.repository';

/** A keyset page of provers by id, filtered by reported state (stale heartbeat = offline) and region. */
export class ListProversQuery extends Query<ProverRow[]> {
  constructor(readonly filter: { state?: ProverState; region?: string; after?: string; limit: number }) {
    super();
  }
}

@QueryHandler(ListProversQuery)
export class ListProversQueryHandler implements IQueryHandler<ListProversQuery, ProverRow[]> {
  constructor(
    private readonly provers: ProverRepository,
    private readonly env: TallyEnv,
  ) {}

  execute({ filter }: ListProversQuery): Promise<ProverRow[]> {
    return this.provers.list({ ...filter, livenessTtlMs: this.env.PROVER_LIVENESS_TTL_MS });
  }
}
