import { Command } from '@nestjs/cqrs';
import type { HardwareProfile, ProverCapabilities } from '../../domain';

export interface HeartbeatAnswer {
  accepted: true;
  /** Jobs of this prover cancelled since it was last told (stop working on them). */
  cancelled_jobs: string[];
}

export class RecordHeartbeatCommand extends Command<HeartbeatAnswer> {
  constructor(
    readonly proverId: string,
    readonly beat: { loadFactor: number; hardwareProfile: HardwareProfile; capabilities: ProverCapabilities },
  ) {
    super();
  }
}
