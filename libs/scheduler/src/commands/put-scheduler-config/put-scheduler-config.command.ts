import { Command } from '@nestjs/cqrs';
import type { SchedulerConfig, VersionedSchedulerConfig } from '../../domain';

/** Replaces the scheduler config (version + 1); with `expectedVersion`, only from that version (else DSE-005). */
export class PutSchedulerConfigCommand extends Command<VersionedSchedulerConfig> {
  constructor(
    readonly config: SchedulerConfig,
    readonly expectedVersion?: number,
  ) {
    super();
  }
}
