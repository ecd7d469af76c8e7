import Decimal from 'decimal.js';
import { InvalidRequestError } from '@tally/shared';
import { parsePositiveDecimal } from './decimals';
import type { PriceSchedule } from './service-schedule';

/**
 * Enough significant digits that no step below ever rounds: a price has at most 19 digits,
 * units and the size factor at most 24 each, replicas at most 16, so every product has at
 * most 83. Rounding is towards +∞ all the same, so an estimate can only err upwards.
 */
const Exact = Decimal.clone({ precision: 100, rounding: Decimal.ROUND_CEIL, toExpPos: 1000, toExpNeg: -1000 });

export interface CostEstimateInput {
  /** How many of the schedule's units, a decimal string > 0 with at most 6 fractional digits. */
  units: string;
  /** A positive (safe) integer. */
  replicas: number | bigint;
  schedule: PriceSchedule;
}

function parseReplicas(replicas: number | bigint): bigint {
  const ok =
    typeof replicas === 'bigint'
      ? replicas >= 1n && replicas <= BigInt(Number.MAX_SAFE_INTEGER)
      : Number.isSafeInteger(replicas) && replicas >= 1;
  if (!ok) throw new InvalidRequestError('replicas must be a positive integer', { field: 'replicas' });
  return BigInt(replicas);
}

/**
 * What a job costs, in micros: max(minimum_charge, price_per_unit × units × size_factor)
 * × replicas, computed exactly and rounded up to the next whole micro (never undercharge).
 * The result is exact however large; it may exceed int64, and the caller's cost ceiling
 * (at most int64) is what refuses it. Invalid units or replicas are DSE-001.
 */
export function estimateCostMicros({ units, replicas, schedule }: CostEstimateInput): bigint {
  const u = parsePositiveDecimal(units, 'units');
  const r = parseReplicas(replicas);
  const usage = new Exact(schedule.pricePerUnitMicros.toString()).times(u).times(schedule.sizeFactor);
  const perReplica = Exact.max(usage, schedule.minimumChargeMicros.toString());
  return BigInt(perReplica.times(r.toString()).ceil().toFixed(0));
}
