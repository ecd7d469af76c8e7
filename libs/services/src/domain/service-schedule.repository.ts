import type { ServiceCategory, ServiceSchedule, ServiceScheduleSpec } from './service-schedule';

/** Where schedules live (a port: the persistence layer provides it, tests may fake it). */
export abstract class ServiceScheduleRepository {
  /** The current version, or the given one (old versions stay readable). */
  abstract find(id: string, version?: number): Promise<ServiceSchedule | null>;

  /** Every schedule (of one category when given), ordered by id. */
  abstract list(category?: ServiceCategory): Promise<ServiceSchedule[]>;

  /** Creates the schedule (version 1) or replaces it (version + 1), atomically, keeping the old version. */
  abstract put(spec: ServiceScheduleSpec): Promise<{ schedule: ServiceSchedule; created: boolean }>;

  /** Creates each schedule that does not exist yet (version 1); existing ones are left as they are. Returns how many were created. */
  abstract seed(specs: ServiceScheduleSpec[]): Promise<number>;

  /**
   * Gives each of these services its spec's units rule, as a new version, where its current
   * version has none and the same input schema (services seeded before units rules existed).
   * Once: replicas starting together add each one once. Returns how many were given one.
   */
  abstract addUnitsRules(specs: ServiceScheduleSpec[]): Promise<number>;
}
