import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { UnitOfWork } from '@tally/database';
import {
  serviceScheduleSpec,
  type ServiceScheduleInput,
  type ServiceScheduleSpec,
  ServiceScheduleRepository,
} from '../domain';
import seed from './services.json';

/** The seeded services as written in services.json (wire form, each with its id). */
export const SEEDED_SERVICES = seed as (ServiceScheduleInput & { id: string })[];

/** The seeded services as schedules, each checked by the same rules as a PUT. */
export function seededSpecs(): ServiceScheduleSpec[] {
  return SEEDED_SERVICES.map(({ id, ...input }) => serviceScheduleSpec(id, input));
}

/**
 * Loads the seeded services at start, only those missing: a service an admin has changed keeps
 * its versions, and replicas starting together insert each one once. A seeded service stored
 * without a units rule (seeded before they existed) gets the seed's as a new version, while its
 * input schema is the seed's.
 */
@Injectable()
export class SeedServices implements OnApplicationBootstrap {
  private readonly log = new Logger(SeedServices.name);

  constructor(
    private readonly uow: UnitOfWork,
    private readonly schedules: ServiceScheduleRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const specs = seededSpecs();
    const created = await this.uow.run(() => this.schedules.seed(specs));
    if (created > 0) this.log.log(`seeded ${created} of ${specs.length} registry services`);
    // Services seeded before units rules existed get theirs (typed endpoints), if their input schema is still the seed's.
    const ruled = await this.uow.run(() => this.schedules.addUnitsRules(specs.filter((s) => s.unitsRule)));
    if (ruled > 0) this.log.log(`gave ${ruled} seeded registry services their units rule`);
  }
}
