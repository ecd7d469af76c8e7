import { formatMicros, int64ToJson, timestampToJson } from '@tally/shared';
import { type ServiceSchedule, unitsRuleJson } from '../domain';

/** A schedule on the wire: credits and factors as exact decimal strings. */
export function presentService(s: ServiceSchedule) {
  return {
    id: s.id,
    price_per_unit: formatMicros(s.pricePerUnitMicros),
    unit: s.unit,
    size_factor: s.sizeFactor,
    minimum_charge: formatMicros(s.minimumChargeMicros),
    hardware_requirements: s.hardwareRequirements,
    description: s.description,
    category: s.category,
    fee_bps: s.feeBps,
    base_share_bps: s.baseShareBps,
    min_stake_micros: s.minStakeMicros == null ? null : int64ToJson(s.minStakeMicros),
    slash_dissent_bps: s.slashDissentBps,
    slash_timeout_bps: s.slashTimeoutBps,
    slash_cap_micros: s.slashCapMicros == null ? null : int64ToJson(s.slashCapMicros),
    metered_refund: s.meteredRefund,
    slash_dispute_bps: s.slashDisputeBps,
    dispute_window_seconds: s.disputeWindowSeconds,
    version: int64ToJson(s.version),
    created_at: timestampToJson(s.createdAt),
    updated_at: timestampToJson(s.updatedAt),
  };
}

export function presentServiceSchema(s: ServiceSchedule) {
  return {
    id: s.id,
    version: int64ToJson(s.version),
    input_schema: s.inputSchema,
    result_schema: s.resultSchema,
    example: s.example ?? null,
    units_rule: unitsRuleJson(s.unitsRule),
  };
}

export function presentServiceRequirements(s: ServiceSchedule) {
  return { id: s.id, version: int64ToJson(s.version), hardware_requirements: s.hardwareRequirements };
}
