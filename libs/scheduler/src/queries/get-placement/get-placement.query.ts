import { Query } from '@nestjs/cqrs';

export interface PlacementItem {
  prover_id: string;
  weight: number;
  rank: number;
}

export interface PlacementAnswer {
  key: string;
  rf: number;
  /** The key names this job: its requirements and service's hardware requirements were applied. */
  network_job_id: string | null;
  config_version: number;
  items: PlacementItem[];
}

/**
 * The top `rf` live candidates for any key, best first, as the scheduler would rank them
 * now: weighted rendezvous over the active provers with a heartbeat within the TTL and room
 * below max_concurrency. When the key is a job's id, only provers meeting that job's
 * requirements count.
 */
export class GetPlacementQuery extends Query<PlacementAnswer> {
  constructor(
    readonly key: string,
    readonly rf: number,
  ) {
    super();
  }
}
