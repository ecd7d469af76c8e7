import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { TallyEnv } from '@tally/shared';
import { type FailoverState, SinkChain, type SinkTier } from '../../domain';
import { DeliveryRepository } from '../../persistence/delivery.repository';
import { FailoverRepository } from '../../persistence/failover.repository';

export interface FallbackStatus {
  state: FailoverState;
  fallback_active: boolean;
  active_sink: string | null;
  reason: string | null;
  since: string;
  last_fallback_at: string | null;
  pending_reconcile_count: number;
  failures_to_fail_over: number;
  successes_to_recover: number;
  sinks: Array<{
    tier: SinkTier;
    name: string;
    target: string;
    consecutive_failures: number;
    consecutive_successes: number;
    last_success_at: string | null;
    last_failure_at: string | null;
    last_error: string | null;
  }>;
}

const iso = (d: Date | null | undefined) => d?.toISOString() ?? null;

/** The chain's state, the sink it falls back to, what the primary lacks, each sink's health. */
export class GetFallbackStatusQuery extends Query<FallbackStatus> {}

@QueryHandler(GetFallbackStatusQuery)
export class GetFallbackStatusQueryHandler implements IQueryHandler<GetFallbackStatusQuery, FallbackStatus> {
  constructor(
    private readonly failover: FailoverRepository,
    private readonly deliveries: DeliveryRepository,
    private readonly chain: SinkChain,
    private readonly env: TallyEnv,
  ) {}

  async execute(): Promise<FallbackStatus> {
    const primary = this.chain.primary;
    const [row, pending, health] = await Promise.all([
      this.failover.state(),
      primary ? this.deliveries.openCount(primary.name) : Promise.resolve(0),
      Promise.all(this.chain.sinks.map((s) => this.failover.health(s.name))),
    ]);
    const active = this.chain.activeFallback(row.state);
    return {
      state: row.state,
      fallback_active: active !== undefined,
      active_sink: active?.name ?? null,
      reason: row.reason,
      since: row.since.toISOString(),
      last_fallback_at: iso(row.last_fallback_at),
      pending_reconcile_count: pending,
      failures_to_fail_over: this.env.SETTLEMENT_FAILOVER_FAILURES,
      successes_to_recover: this.env.SETTLEMENT_RECOVERY_SUCCESSES,
      sinks: this.chain.sinks.map((s, i) => ({
        tier: s.tier,
        name: s.name,
        target: s.target,
        consecutive_failures: health[i]?.consecutive_failures ?? 0,
        consecutive_successes: health[i]?.consecutive_successes ?? 0,
        last_success_at: iso(health[i]?.last_success_at),
        last_failure_at: iso(health[i]?.last_failure_at),
        last_error: health[i]?.last_error ?? null,
      })),
    };
  }
}
