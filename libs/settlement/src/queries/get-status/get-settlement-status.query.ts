import { IQueryHandler, Query, QueryHandler } from '@nestjs/cqrs';
import { TallyEnv } from '@tally/shared';
import { SinkChain } from '../../domain';
import { DeliveryRepository } from '../../persistence/delivery.repository';
import { SettlementRepository } from '../../persistence/settlement.repository';

export interface SettlementStatus {
  enabled: boolean;
  seal_cron: string;
  last_batch: { batch_no: number; created_at: string; transfer_count: number } | null;
  pending_count: number;
  sinks: Array<{
    name: string;
    tier: string | null;
    target: string | null;
    configured: boolean;
    pending: number;
    failed: number;
    last_delivered_batch_no: number | null;
    last_delivered_at: string | null;
    next_batch_no: number | null;
    next_attempt_at: string | null;
    attempts: number | null;
    last_error: string | null;
  }>;
}

/** The sinks (configured, or with delivery rows from an earlier configuration), what waits, the last delivery. */
export class GetSettlementStatusQuery extends Query<SettlementStatus> {}

@QueryHandler(GetSettlementStatusQuery)
export class GetSettlementStatusQueryHandler implements IQueryHandler<GetSettlementStatusQuery, SettlementStatus> {
  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly batches: SettlementRepository,
    private readonly env: TallyEnv,
    private readonly chain: SinkChain,
  ) {}

  async execute(): Promise<SettlementStatus> {
    const [rows, last] = await Promise.all([this.deliveries.status(), this.batches.lastBatch()]);
    const names = [...new Set([...this.chain.sinks.map((s) => s.name), ...rows.map((r) => r.sink)])].sort();
    const sinks = names.map((name) => {
      const row = rows.find((r) => r.sink === name);
      const sink = this.chain.sinks.find((s) => s.name === name);
      return {
        name,
        tier: sink ? (this.chain.tierOf(name) ?? null) : null,
        target: sink?.target ?? null,
        configured: sink !== undefined,
        pending: row?.pending ?? 0,
        failed: row?.failed ?? 0,
        last_delivered_batch_no: row?.last_delivered_batch_no ?? null,
        last_delivered_at: row?.last_delivered_at?.toISOString() ?? null,
        next_batch_no: row?.next_batch_no ?? null,
        next_attempt_at: row?.next_attempt_at?.toISOString() ?? null,
        attempts: row?.attempts ?? null,
        last_error: row?.last_error ?? null,
      };
    });
    return {
      enabled: this.env.SETTLEMENT_ENABLED,
      seal_cron: this.env.SETTLEMENT_SEAL_CRON,
      last_batch: last
        ? { batch_no: last.batch_no, created_at: last.created_at, transfer_count: last.transfer_count }
        : null,
      pending_count: sinks.reduce((s, x) => s + x.pending, 0),
      sinks,
    };
  }
}
