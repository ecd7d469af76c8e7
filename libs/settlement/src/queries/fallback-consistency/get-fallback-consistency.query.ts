import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { Clock } from '@tally/shared';
import { SinkChain } from '../../domain';
import { FailoverRepository } from '../../persistence/failover.repository';

/** At most this many details listed (the count of inconsistencies is in full up to it). */
export const CONSISTENCY_DETAIL_LIMIT = 100;

export type InconsistencyKind =
  | 'batch_hash_mismatch'
  | 'transfers_root_mismatch'
  | 'balances_root_mismatch'
  | 'primary_out_of_order'
  | 'primary_untracked';

export interface FallbackConsistency {
  is_consistent: boolean;
  items_verified: number;
  inconsistencies_found: number;
  details: Array<{
    kind: InconsistencyKind;
    sink: string;
    batch_no: number;
    expected: string | null;
    acknowledged: string | null;
  }>;
  verified_at: string;
}

const KIND = {
  batch_hash: 'batch_hash_mismatch',
  transfers_root: 'transfers_root_mismatch',
  balances_root: 'balances_root_mismatch',
} as const;

/**
 * What every sink acknowledged, against the sealed chain: each ack names a sealed batch
 * with its batch hash and both roots; the primary holds its batches in batch order with
 * no gap, and every batch sealed since its first is tracked for it.
 */
export class GetFallbackConsistencyQuery extends Query<FallbackConsistency> {}

@QueryHandler(GetFallbackConsistencyQuery)
export class GetFallbackConsistencyQueryHandler implements IQueryHandler<
  GetFallbackConsistencyQuery,
  FallbackConsistency
> {
  constructor(
    private readonly failover: FailoverRepository,
    private readonly chain: SinkChain,
    private readonly clock: Clock,
  ) {}

  async execute(): Promise<FallbackConsistency> {
    const primary = this.chain.primary?.name;
    const [verified, mismatches, gaps] = await Promise.all([
      this.failover.ackCount(),
      this.failover.ackMismatches(CONSISTENCY_DETAIL_LIMIT),
      primary ? this.failover.primaryGaps(primary, CONSISTENCY_DETAIL_LIMIT) : { out_of_order: [], untracked: [] },
    ]);
    const details: FallbackConsistency['details'] = [
      ...mismatches.map((m) => ({
        kind: KIND[m.field],
        sink: m.sink,
        batch_no: m.batch_no,
        expected: m.expected,
        acknowledged: m.acknowledged,
      })),
      ...gaps.out_of_order.map((n) => ({
        kind: 'primary_out_of_order' as const,
        sink: primary as string,
        batch_no: n,
        expected: null,
        acknowledged: null,
      })),
      ...gaps.untracked.map((n) => ({
        kind: 'primary_untracked' as const,
        sink: primary as string,
        batch_no: n,
        expected: null,
        acknowledged: null,
      })),
    ].slice(0, CONSISTENCY_DETAIL_LIMIT);
    const found = mismatches.length + gaps.out_of_order.length + gaps.untracked.length;
    return {
      is_consistent: found === 0,
      items_verified: verified,
      inconsistencies_found: found,
      details,
      verified_at: this.clock.now().toISOString(),
    };
  }
}
