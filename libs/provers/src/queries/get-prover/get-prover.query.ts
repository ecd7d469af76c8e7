import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { TallyEnv } from '@tally/shared';
import { idleSince, ProverNotFoundError } from '../../domain';
import { ProverRepository, ProverRow } from '../../persistence/prover.repository';

/** A prover as stored, with the moment its score starts to decay (SCORE_IDLE_AFTER_MS after its last score). */
export type ProverView = ProverRow & { score_idle_since: Date | null };

export function viewOf(row: ProverRow, idleAfterMs: number): ProverView {
  return { ...row, score_idle_since: idleSince(row.last_scored_at, idleAfterMs) };
}

/** One prover (DSE-004 when unknown). */
export class GetProverQuery extends Query<ProverView> {
  constructor(readonly proverId: string) {
    super();
  }
}

@QueryHandler(GetProverQuery)
export class GetProverQueryHandler implements IQueryHandler<GetProverQuery, ProverView> {
  constructor(
    private readonly provers: ProverRepository,
    private readonly env: TallyEnv,
  ) {}

  async execute({ proverId }: GetProverQuery): Promise<ProverView> {
    const prover = await this.provers.find(proverId);
    if (!prover) throw new ProverNotFoundError(proverId);
    return viewOf(prover, this.env.SCORE_IDLE_AFTER_MS);
  }
}
