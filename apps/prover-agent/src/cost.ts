import Decimal from 'decimal.js';

/** A service's price schedule as GET /v1/registry/services/{id} answers it (credits as decimal strings). */
export interface ServicePrice {
  price_per_unit: string;
  unit: string;
  size_factor: string;
  minimum_charge: string;
}

/** What the job asked for, as the poll answered it (micros as decimal strings). */
export interface JobPricing {
  max_cost_micros: string;
  replicas: number;
  /** The units the client declared (the server held their price), with the service. */
  units: string | null;
}

const Exact = Decimal.clone({ precision: 100, rounding: Decimal.ROUND_CEIL, toExpPos: 1000, toExpNeg: -1000 });
const MICROS_PER_CREDIT = 1_000_000;

/** The last stdout line `TALLY_COST_MICROS=<n>`: the command's metered cost. */
const METERED = /^TALLY_COST_MICROS=(\d{1,19})$/;

/** Milliseconds in each unit a service may price by time ("second", "gpu_second", "cpu_hours"…). */
const TIME_UNITS: Record<string, number> = { millisecond: 1, second: 1000, minute: 60_000, hour: 3_600_000 };
const TIME_UNIT = /(?:^|_)(millisecond|second|minute|hour)s?$/;

/** The command's metered cost, when its last non-empty stdout line states one. */
export function meteredCost(stdout: string): bigint | null {
  const last = stdout.trimEnd().split('\n').pop()?.trim() ?? '';
  const match = METERED.exec(last);
  return match ? BigInt(match[1]) : null;
}

/** stdout without its metering line: the result itself (what replicas must agree on). */
export function resultOf(stdout: string): string {
  if (meteredCost(stdout) === null) return stdout;
  const trimmed = stdout.trimEnd();
  return trimmed.slice(0, trimmed.lastIndexOf('\n') + 1);
}

/** How many milliseconds one unit of the service is, when it prices by time. */
export function timeUnitMs(unit: string): number | null {
  const match = TIME_UNIT.exec(unit);
  return match ? TIME_UNITS[match[1]] : null;
}

/**
 * A price as the registry computes a job's estimate (and so its hold): max(minimum_charge,
 * price_per_unit × units × size_factor) × replicas, in micros, rounded up.
 */
export function priceMicros(service: ServicePrice, units: string, replicas: number): bigint {
  const usage = new Exact(service.price_per_unit).times(MICROS_PER_CREDIT).times(units).times(service.size_factor);
  const perReplica = Exact.max(usage, new Exact(service.minimum_charge).times(MICROS_PER_CREDIT));
  return BigInt(perReplica.times(replicas).ceil().toFixed(0));
}

/** Elapsed milliseconds as units of `unitMs`, rounded up to the 6 decimals a job's units may have. */
export function measuredUnits(elapsedMs: number, unitMs: number): string {
  return new Decimal(elapsedMs).div(unitMs).toDecimalPlaces(6, Decimal.ROUND_UP).toFixed();
}

/**
 * What to report for a job that succeeded, never above what the server will capture: the
 * job's ceiling, and with a service the price of the units declared (the hold).
 * - the command's metered figure (its last stdout line), else
 * - a service priced by time: its price × the time the command ran, else
 * - a service priced otherwise: the price of the units the client declared, else
 * - the job's max_cost_micros (the ceiling the client agreed to).
 * At least 1 micro: the API takes no zero cost.
 */
export function costOf(
  job: JobPricing,
  stdout: string,
  elapsedMs: number,
  service: ServicePrice | null,
): { micros: bigint; basis: string } {
  let ceiling = BigInt(job.max_cost_micros);
  if (service && job.units !== null) {
    const held = priceMicros(service, job.units, job.replicas);
    if (held < ceiling) ceiling = held;
  }
  const within = (micros: bigint, basis: string) => ({
    micros: micros < 1n ? 1n : micros > ceiling ? ceiling : micros,
    basis,
  });
  const metered = meteredCost(stdout);
  if (metered !== null) return within(metered, 'metered');
  if (!service || job.units === null) return within(ceiling, 'max_cost_micros');
  const unitMs = timeUnitMs(service.unit);
  if (unitMs === null) return within(ceiling, `${job.units} ${service.unit}`);
  const units = measuredUnits(elapsedMs, unitMs);
  return within(priceMicros(service, units, job.replicas), `${units} ${service.unit}`);
}
