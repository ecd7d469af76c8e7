import { Command } from '@nestjs/cqrs';
import type { ServiceSchedule, ServiceScheduleSpec } from '../../domain';

/** Creates a service's price schedule or replaces it whole (its version grows by one). */
export class PutServiceCommand extends Command<{ schedule: ServiceSchedule; created: boolean }> {
  constructor(readonly spec: ServiceScheduleSpec) {
    super();
  }
}
