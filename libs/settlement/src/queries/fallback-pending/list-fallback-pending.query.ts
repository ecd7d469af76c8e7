import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { SinkChain } from '../../domain';
import { DeliveryRepository } from '../../persistence/delivery.repository';
import { FailoverRepository } from '../../persistence/failover.repository';

/** At most this many batches listed (the total is counted in full). */
export const PENDING_LIST_LIMIT = 1000;

export interface FallbackPending {
  primary: string | null;
  total: number;
  items: Array<{
    batch_no: number;
    batch_hash: string;
    held_by: string[];
    stored_at: string | null;
    attempts: number;
    next_attempt_at: string;
    last_error: string | null;
  }>;
}

/** The batches the primary lacks, oldest first, each with the fallbacks that hold it meanwhile. */
export class ListFallbackPendingQuery extends Query<FallbackPending> {}

@QueryHandler(ListFallbackPendingQuery)
export class ListFallbackPendingQueryHandler implements IQueryHandler<ListFallbackPendingQuery, FallbackPending> {
  constructor(
    private readonly failover: FailoverRepository,
    private readonly deliveries: DeliveryRepository,
    private readonly chain: SinkChain,
  ) {}

  async execute(): Promise<FallbackPending> {
    const primary = this.chain.primary;
    if (!primary) return { primary: null, total: 0, items: [] };
    const fallbacks = this.chain.sinks.filter((s) => s !== primary).map((s) => s.name);
    const [rows, total] = await Promise.all([
      this.failover.pending(primary.name, fallbacks, PENDING_LIST_LIMIT),
      this.deliveries.openCount(primary.name),
    ]);
    return {
      primary: primary.name,
      total,
      items: rows.map((r) => ({
        batch_no: r.batch_no,
        batch_hash: r.batch_hash,
        held_by: r.held_by,
        stored_at: r.stored_at?.toISOString() ?? null,
        attempts: r.attempts,
        next_attempt_at: r.next_attempt_at.toISOString(),
        last_error: r.last_error,
      })),
    };
  }
}
