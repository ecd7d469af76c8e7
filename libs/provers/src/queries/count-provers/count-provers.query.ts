import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { TallyEnv } from '@tally/shared';
import type { ProverState } from '../../domain';
import { ProverRepository } from '../../persistence/prover.repository';

/** How many provers are in each reported state (a stale heartbeat reads as offline, as in the listing). */
export class CountProversQuery extends Query<Record<ProverState, number>> {}

@QueryHandler(CountProversQuery)
export class CountProversQueryHandler implements IQueryHandler<CountProversQuery, Record<ProverState, number>> {
  constructor(
    private readonly provers: ProverRepository,
    private readonly env: TallyEnv,
  ) {}

  execute(): Promise<Record<ProverState, number>> {
    return this.provers.countByState(this.env.PROVER_LIVENESS_TTL_MS);
  }
}
