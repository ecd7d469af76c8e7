import { INT64_MAX, InvalidRequestError, isJsonObject, parseAmount } from '@tally/shared';
import { parseCreditsOrZero, parsePositiveDecimal } from './decimals';
import { compileJsonSchema, schemaErrors } from './json-schemas';
import { findRequirementsProblem, type RequirementsProblem } from './prover-requirements';
import { parseUnitsRule, type UnitsRule, unitsOf } from './units-rule';

export const SERVICE_ID_PATTERN = /^[a-z0-9._-]{1,64}$/;
export const UNIT_PATTERN = /^[a-z0-9_]{1,32}$/;
export const UNIT_MESSAGE = '$property must be 1-32 characters of a-z 0-9 _, like "gpu_second"';
export const DESCRIPTION_MAX_LENGTH = 512;

/** The six kinds of workload a service belongs to (stable slugs: clients filter by them). */
export const SERVICE_CATEGORIES = [
  'ai-ml',
  'media-processing',
  'scientific-computing',
  'data-analytics',
  'gaming',
  'development-tools',
] as const;
export type ServiceCategory = (typeof SERVICE_CATEGORIES)[number];
/** A service written without a category or schemas (as before categories existed) gets these. */
export const DEFAULT_CATEGORY: ServiceCategory = 'development-tools';
export const ANY_OBJECT_SCHEMA: Record<string, unknown> = { type: 'object' };

/**
 * What a service needs from a prover. Kept in its wire form (snake_case): it is stored as
 * JSON and matched against prover capabilities as is.
 */
export interface HardwareRequirements {
  gpu_count?: number;
  gpu_memory_gb?: number;
  ram_gb?: number;
  cpu_cores?: number;
  supported_kernels?: string[];
  zk_acceleration?: string[];
}

/** The part of a schedule that prices a job. Money in micros, the factor as an exact decimal string. */
export interface PriceSchedule {
  pricePerUnitMicros: bigint;
  /** Canonical decimal string > 0, at most 6 fractional digits ("1.5"). */
  sizeFactor: string;
  minimumChargeMicros: bigint;
}

/** A service's price schedule as written by an admin. */
export interface ServiceScheduleSpec extends PriceSchedule {
  id: string;
  unit: string;
  hardwareRequirements: HardwareRequirements;
  description: string | null;
  category: ServiceCategory;
  /** JSON Schema (draft 2020-12) of a job's input, and of the result metadata its prover reports. */
  inputSchema: Record<string, unknown>;
  resultSchema: Record<string, unknown>;
  /** An input that satisfies inputSchema, for clients to start from. */
  example: unknown;
  /** Which fields of a typed request's body give its units; null: the service has no typed endpoint. */
  unitsRule: UnitsRule | null;
  /** The platform's fee on this service's jobs, in basis points; null: the platform default (PLATFORM_FEE_BPS). */
  feeBps: number | null;
  /** The part of the provers' pool, in basis points, shared by every replica that reported; the rest is the majority's bonus. */
  baseShareBps: number;
  /** The bonded stake (micros) a prover needs to be given this service's jobs; null: none. */
  minStakeMicros: bigint | null;
  /** The slashing terms: see SlashTerms (0 bps: no slash). */
  slashDissentBps: number;
  slashTimeoutBps: number;
  slashCapMicros: bigint | null;
  /** Basis points of the bonded stake slashed from each rewarded prover of a job refunded in a dispute. */
  slashDisputeBps: number;
  /** How long a completed job's rewards stay pending, open to a dispute (seconds); null: DISPUTE_WINDOW_SECONDS. */
  disputeWindowSeconds: number | null;
  /**
   * What a failed or cancelled metered job gives back (docs/economics.md, Metered jobs): `earned`,
   * the usage already reported stays paid; `all`, everything goes back to the client (the
   * prover's share of each report is held until the job completes).
   */
  meteredRefund: MeteredRefund;
}

/** A stored schedule: `version` is 1 when created and grows by one on every replacement. */
export interface ServiceSchedule extends ServiceScheduleSpec {
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** Checks a service id from a path. "." and ".." match the pattern but cannot be addressed in a URL. */
export function parseServiceId(value: string): string {
  if (!SERVICE_ID_PATTERN.test(value) || value === '.' || value === '..') {
    throw new InvalidRequestError('service id must be 1-64 characters of a-z 0-9 . _ -', { field: 'id' });
  }
  return value;
}

/** A schedule as the API writes it: credits and factors as decimal strings. */
export interface ServiceScheduleInput {
  price_per_unit: string;
  unit: string;
  size_factor: string;
  minimum_charge: string;
  hardware_requirements: HardwareRequirements;
  description?: string | null;
  category?: string;
  input_schema?: Record<string, unknown>;
  result_schema?: Record<string, unknown>;
  example?: unknown;
  units_rule?: unknown;
  min_stake_micros?: string | null;
  fee_bps?: number | null;
  base_share_bps?: number;
  slash_dissent_bps?: number;
  slash_timeout_bps?: number;
  slash_cap_micros?: string | null;
  slash_dispute_bps?: number;
  dispute_window_seconds?: number | null;
  metered_refund?: MeteredRefund;
}

/** A metered job's refund rule: usage already reported stays paid (`earned`), or everything goes back (`all`). */
export const METERED_REFUNDS = ['earned', 'all'] as const;
export type MeteredRefund = (typeof METERED_REFUNDS)[number];

/** A refund rule as sent: `earned` or `all`; left out: `earned`. */
function meteredRefundOf(value: unknown): MeteredRefund {
  if (value === undefined) return 'earned';
  if (typeof value !== 'string' || !(METERED_REFUNDS as readonly string[]).includes(value)) {
    throw new InvalidRequestError('metered_refund must be "earned" or "all"', { field: 'metered_refund' });
  }
  return value as MeteredRefund;
}

/** Basis points in a whole: a share in basis points is an integer from 0 to this. */
export const BPS_MAX = 10_000;

/** A share in basis points as sent: an integer from 0 to 10000, else DSE-001 naming the field. */
function parseBps(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > BPS_MAX) {
    throw new InvalidRequestError(`${field} must be an integer from 0 to ${BPS_MAX} (basis points)`, { field });
  }
  return value;
}

const HARDWARE_KEYS = [
  'gpu_count',
  'gpu_memory_gb',
  'ram_gb',
  'cpu_cores',
  'supported_kernels',
  'zk_acceleration',
] as const satisfies readonly (keyof HardwareRequirements)[];

const LISTS: ReadonlySet<string> = new Set(['supported_kernels', 'zk_acceleration']);

/**
 * Why a service's hardware requirements (as sent) are not valid: only the keys above, each
 * with a value (the lists as lists), every value one a prover can have by the same rules
 * as a job's requirements (a job's service is matched like the job's own requirements).
 */
function hardwareProblem(h: unknown, field = 'hardware_requirements'): RequirementsProblem | null {
  if (!isJsonObject(h)) return { field, message: `${field} must be an object` };
  for (const [key, value] of Object.entries(h)) {
    const at = `${field}.${key}`;
    if (!(HARDWARE_KEYS as readonly string[]).includes(key)) {
      return { field: at, message: `${at} is not a service hardware requirement (known: ${HARDWARE_KEYS.join(', ')})` };
    }
    if (value === null) return { field: at, message: `${at} must not be null: leave it out to ask for nothing` };
    if (LISTS.has(key) && !Array.isArray(value)) return { field: at, message: `${at} must be a list` };
  }
  return findRequirementsProblem(h, field);
}

function checkHardware(h: unknown): HardwareRequirements {
  const problem = hardwareProblem(h);
  if (problem) throw new InvalidRequestError(problem.message, { field: problem.field });
  return h as HardwareRequirements;
}

/** Only the known keys, in one order, arrays copied. */
function cleanHardware(h: HardwareRequirements): HardwareRequirements {
  const out: Record<string, unknown> = {};
  for (const key of HARDWARE_KEYS) {
    const value = h[key];
    if (value !== undefined) out[key] = Array.isArray(value) ? [...value] : value;
  }
  return out as HardwareRequirements;
}

/**
 * Turns API input (shape already checked by the HTTP layer) into a schedule: the id, the
 * unit and the hardware requirements checked, prices parsed to micros, the factor to its
 * canonical string. Bad values are DSE-001, never rounded.
 */
export function serviceScheduleSpec(id: string, input: ServiceScheduleInput): ServiceScheduleSpec {
  if (!UNIT_PATTERN.test(input.unit)) {
    throw new InvalidRequestError('unit must be 1-32 characters of a-z 0-9 _', { field: 'unit' });
  }
  return {
    id: parseServiceId(id),
    pricePerUnitMicros: parseAmount(input.price_per_unit, 'price_per_unit'),
    unit: input.unit,
    sizeFactor: parsePositiveDecimal(input.size_factor, 'size_factor'),
    minimumChargeMicros: parseCreditsOrZero(input.minimum_charge, 'minimum_charge'),
    hardwareRequirements: cleanHardware(checkHardware(input.hardware_requirements)),
    description: input.description ?? null,
    ...serviceSchemas(input),
    feeBps: input.fee_bps === undefined || input.fee_bps === null ? null : parseBps(input.fee_bps, 'fee_bps'),
    baseShareBps: input.base_share_bps === undefined ? 0 : parseBps(input.base_share_bps, 'base_share_bps'),
    minStakeMicros: minStakeOf(input.min_stake_micros),
    slashDissentBps: input.slash_dissent_bps === undefined ? 0 : parseBps(input.slash_dissent_bps, 'slash_dissent_bps'),
    slashTimeoutBps: input.slash_timeout_bps === undefined ? 0 : parseBps(input.slash_timeout_bps, 'slash_timeout_bps'),
    slashCapMicros: int64Of(input.slash_cap_micros, 'slash_cap_micros'),
    slashDisputeBps: input.slash_dispute_bps === undefined ? 0 : parseBps(input.slash_dispute_bps, 'slash_dispute_bps'),
    disputeWindowSeconds: windowOf(input.dispute_window_seconds),
    meteredRefund: meteredRefundOf(input.metered_refund),
  };
}

/** The longest dispute window a service may ask for: 90 days. */
export const MAX_DISPUTE_WINDOW_SECONDS = 7_776_000;

/** A dispute window as sent: whole seconds, 0 (none) to 90 days; absent or null: the platform default. */
function windowOf(value: unknown): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_DISPUTE_WINDOW_SECONDS) {
    throw new InvalidRequestError(`dispute_window_seconds must be an integer from 0 to ${MAX_DISPUTE_WINDOW_SECONDS}`, {
      field: 'dispute_window_seconds',
    });
  }
  return value;
}

/** A minimum stake as sent: micros, 0 to int64 (0 asks for nothing); absent or null: none. */
function minStakeOf(value: string | null | undefined): bigint | null {
  return int64Of(value, 'min_stake_micros');
}

/** Micros as sent: an integer string, 0 to int64; absent or null: none. */
function int64Of(value: unknown, field: string): bigint | null {
  if (value === undefined || value === null) return null;
  const micros = typeof value === 'string' && /^(0|[1-9][0-9]{0,18})$/.test(value) ? BigInt(value) : -1n;
  if (micros < 0n || micros > INT64_MAX) {
    throw new InvalidRequestError(`${field} must be an integer string from 0 to 9223372036854775807`, { field });
  }
  return micros;
}

/**
 * The category and schemas as sent (or their defaults): each schema must compile and the
 * example must satisfy the input schema, else DSE-001 naming the field.
 */
function serviceSchemas(input: ServiceScheduleInput) {
  const category = input.category ?? DEFAULT_CATEGORY;
  if (!(SERVICE_CATEGORIES as readonly string[]).includes(category)) {
    throw new InvalidRequestError(`category must be one of ${SERVICE_CATEGORIES.join(', ')}`, { field: 'category' });
  }
  const inputSchema = input.input_schema ?? ANY_OBJECT_SCHEMA;
  const resultSchema = input.result_schema ?? ANY_OBJECT_SCHEMA;
  compileJsonSchema(inputSchema, 'input_schema');
  compileJsonSchema(resultSchema, 'result_schema');
  const example = input.example ?? null;
  if (example !== null) {
    const errors = schemaErrors(inputSchema, 'input_schema', example);
    if (errors) {
      throw new InvalidRequestError('example does not satisfy input_schema', { field: 'example', errors });
    }
  }
  const unitsRule = parseUnitsRule(input.units_rule, inputSchema);
  if (unitsRule && example !== null) {
    try {
      unitsOf(unitsRule, example);
    } catch (error) {
      throw new InvalidRequestError(`units_rule gives no units for the example: ${(error as Error).message}`, {
        field: 'units_rule',
      });
    }
  }
  return { category: category as ServiceCategory, inputSchema, resultSchema, example, unitsRule };
}
