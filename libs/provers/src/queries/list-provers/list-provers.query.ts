import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { TallyEnv } from '@tally/shared';
import type { ProverState } from '../../domain';
import { ProverRepository } from '../../persistence/prover.repository';
import { ProverView, viewOf } from '../get-prover/get-prover.query';

/** A keyset page of provers by id, filtered by reported state (stale heartbeat = offline) and region. */
export class ListProversQuery extends Query<ProverView[]> {
  constructor(readonly filter: { state?: ProverState; region?: string; after?: string; limit: number }) {
    super();
  }
}

@QueryHandler(ListProversQuery)
export class ListProversQueryHandler implements IQueryHandler<ListProversQuery, ProverView[]> {
  constructor(
    private readonly provers: ProverRepository,
    private readonly env: TallyEnv,
  ) {}

  async execute({ filter }: ListProversQuery): Promise<ProverView[]> {
    const rows = await this.provers.list({ ...filter, livenessTtlMs: this.env.PROVER_LIVENESS_TTL_MS });
    return rows.map((r) => viewOf(r, this.env.SCORE_IDLE_AFTER_MS));
  }
}
