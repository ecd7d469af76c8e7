import { Injectable } from '@nestjs/common';
import { InvalidRequestError, NotFoundError } from '@tally/shared';
import {
  bodyFieldErrors,
  estimateCostMicros,
  parseServiceId,
  type ServiceCategory,
  type ServiceSchedule,
  ServiceScheduleRepository,
  unitsOf,
} from '../domain';

/** A typed request priced: the units its body asks for and what they cost on the schedule's current version. */
export interface PricedRequest {
  schedule: ServiceSchedule;
  units: string;
  estimateMicros: bigint;
}

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

  /**
   * Checks a typed request's body against the service's input schema (DSE-001 with JSON-pointer
   * field errors), reads its units by the service's units rule and prices them. A service
   * without a units rule has no typed endpoint: NotFoundError (DSE-015), as an unknown one.
   */
  async priceRequest(id: string, body: unknown, replicas: number): Promise<PricedRequest> {
    const schedule = await this.get(id);
    if (!schedule.unitsRule) {
      throw new NotFoundError(`service ${id} has no typed endpoint: its registry entry has no units_rule`, {
        service_id: id,
      });
    }
    const errors = bodyFieldErrors(schedule.inputSchema, 'input_schema', body);
    if (errors) {
      throw new InvalidRequestError(
        `the body does not satisfy the input schema of ${id}: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}`,
        { field: errors[0].field, errors },
      );
    }
    const units = unitsOf(schedule.unitsRule, body);
    return { schedule, units, estimateMicros: estimateCostMicros({ units, replicas, schedule }) };
  }
}
