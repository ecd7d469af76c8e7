import type { ServiceSchedule, ServiceScheduleSpec } from './service-schedule';

/** Where schedules live (a port: the persistence layer provides it, tests may fake it). */
export abstract class ServiceScheduleRepository {
  abstract find(id: string): Promise<ServiceSchedule | null>;

  /** Every schedule, ordered by id. */
  abstract list(): Promise<ServiceSchedule[]>;

  /** Creates the schedule (version 1) or replaces it (version + 1), atomically. */
  abstract put(spec: ServiceScheduleSpec): Promise<{ schedule: ServiceSchedule; created: boolean }>;
}
