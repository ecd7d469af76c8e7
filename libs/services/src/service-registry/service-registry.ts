import { Injectable } from '@nestjs/common';
import { NotFoundError } from '@tally/shared';
import {
  estimateCostMicros,
  parseServiceId,
  type ServiceCategory,
  type ServiceSchedule,
  ServiceScheduleRepository,
} from '../domain';

/**
 * The registry as other libs see it: look a service up, or price a job against it. Reads
 * run in the caller's transaction, so a job priced at submit sees the schedule it holds for.
 */
@Injectable()
export class ServiceRegistry {
  constructor(private readonly schedules: ServiceScheduleRepository) {}

  /** The schedule, or null when there is none (an id that cannot exist is DSE-001). */
  find(id: string, version?: number): Promise<ServiceSchedule | null> {
    return this.schedules.find(parseServiceId(id), version);
  }

  /** The schedule (its current version, or the one asked for); unknown is NotFoundError (DSE-015, 404). */
  async get(id: string, version?: number): Promise<ServiceSchedule> {
    const schedule = await this.find(id, version);
    if (!schedule) {
      const what = version === undefined ? `service ${id}` : `version ${version} of service ${id}`;
      throw new NotFoundError(`no ${what} in the registry`, { service_id: id, ...(version && { version }) });
    }
    return schedule;
  }

  /** Every schedule (of one category when given), ordered by id. */
  list(category?: ServiceCategory): Promise<ServiceSchedule[]> {
    return this.schedules.list(category);
  }

  /** The cost of `units` on `replicas` replicas in micros, rounded up (see estimateCostMicros). */
  async estimate(id: string, units: string, replicas: number | bigint): Promise<bigint> {
    return (await this.quote(id, units, replicas)).micros;
  }

  /** The estimate and the version of the schedule it was priced with (a job records both). */
  async quote(id: string, units: string, replicas: number | bigint): Promise<{ micros: bigint; version: number }> {
    const schedule = await this.get(id);
    return { micros: estimateCostMicros({ units, replicas, schedule }), version: schedule.version };
  }
}
