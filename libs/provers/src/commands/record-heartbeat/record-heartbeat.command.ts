import { Command } from '@nestjs/cqrs';
import type { HardwareProfile, ProverCapabilities } from '../../domain';

export interface HeartbeatAnswer {
  accepted: true;
  /** Jobs of this prover cancelled since it was last told (stop working on them). */
  cancelled_jobs: string[];
  /**
   * Starts given back because this heartbeat's running_jobs left them out: ASSIGNED again,
   * each comes back in a poll (one a poll has handed over since is the prover's to run).
   */
  released_jobs: string[];
}

export class RecordHeartbeatCommand extends Command<HeartbeatAnswer> {
  constructor(
    readonly proverId: string,
    readonly beat: {
      loadFactor: number;
      /** Undefined: the registered profile is kept. */
      hardwareProfile?: HardwareProfile;
      /** Undefined: the registered capabilities are kept. */
      capabilities?: ProverCapabilities;
      /** Its measured latency in ms; undefined: the last reported one is kept. */
      latencyMs?: number;
      /** The jobs the prover says it runs; undefined: not reported (nothing is given back). */
      runningJobs?: string[];
    },
  ) {
    super();
  }
}
