import { Injectable } from '@nestjs/common';
import { NotFoundError } from '@tally/shared';
import { estimateCostMicros, parseServiceId, type ServiceSchedule, ServiceScheduleRepository } from '../domain';

/**
 * The registry as other libs see it: look a service up, or price a job against it. Reads
 * run in the caller's transaction, so a job priced at submit sees the schedule it holds for.
 */
@Injectable()
export class ServiceRegistry {
  constructor(private readonly schedules: ServiceScheduleRepository) {}

  /** The schedule, or null when there is none (an id that cannot exist is DSE-001). */
  find(id: string): Promise<ServiceSchedule | null> {
    return this.schedules.find(parseServiceId(id));
  }

  /** The schedule; an unknown service is NotFoundError (DSE-015, 404). */
  async get(id: string): Promise<ServiceSchedule> {
    const schedule = await this.find(id);
    if (!schedule) throw new NotFoundError(`no service ${id} in the registry`, { service_id: id });
    return schedule;
  }

  /** Every schedule, ordered by id. */
  list(): Promise<ServiceSchedule[]> {
    return this.schedules.list();
  }

  /** The cost of `units` on `replicas` replicas in micros, rounded up (see estimateCostMicros). */
  async estimate(id: string, units: string, replicas: number | bigint): Promise<bigint> {
    return estimateCostMicros({ units, replicas, schedule: await this.get(id) });
  }
}
