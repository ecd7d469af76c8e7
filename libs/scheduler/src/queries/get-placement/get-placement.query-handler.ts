import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { ServiceRegistry } from '@tally/services';
import { jobIdOf, TallyEnv } from '@tally/shared';
import { candidatesFor, type JobNeeds, topN, weightsOf } from '../../domain';
import { SchedulerConfigRepository } from '../../persistence/scheduler-config.repository';
import { SchedulingRepository } from '../../persistence/scheduling.repository';
import { GetPlacementQuery, PlacementAnswer } from './get-placement.query';

@QueryHandler(GetPlacementQuery)
export class GetPlacementQueryHandler implements IQueryHandler<GetPlacementQuery, PlacementAnswer> {
  constructor(
    private readonly scheduling: SchedulingRepository,
    private readonly configs: SchedulerConfigRepository,
    private readonly registry: ServiceRegistry,
    private readonly env: TallyEnv,
  ) {}

  async execute({ key, rf }: GetPlacementQuery): Promise<PlacementAnswer> {
    const ttlMs = this.env.PROVER_LIVENESS_TTL_MS;
    const { config, version } = await this.configs.get();
    const job = jobIdOf(key) !== null ? await this.scheduling.jobNeeds(key) : null;
    const needs: JobNeeds = { requirements: job?.requirements ?? {} };
    if (job?.service) {
      const schedule = await this.registry.find(job.service);
      needs.hardwareRequirements = schedule?.hardwareRequirements;
      needs.minStakeMicros = schedule?.minStakeMicros;
    }
    const { provers, now } = await this.scheduling.liveProvers(ttlMs);
    const candidates = candidatesFor(provers, needs, { now, ttlMs }, weightsOf(config));
    return {
      key,
      rf,
      network_job_id: job ? key : null,
      config_version: version,
      items: topN(key, candidates, rf).map((p) => ({ prover_id: p.proverId, weight: p.weight, rank: p.rank })),
    };
  }
}
