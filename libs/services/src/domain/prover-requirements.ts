import { isJsonObject } from '@tally/shared';

/**
 * What a job's `requirements` (and a service's `hardware_requirements`) may ask of a
 * prover: the attributes a prover registers and heartbeats (its hardware profile,
 * capabilities and region), each in the form the scheduler's matcher reads it (numbers are
 * minimums, flags must be true, names must match, kernel and zk feature lists must all be
 * supported). A key no prover has, or a value no prover can have, is refused: such a job
 * could never be scheduled and would only sit PENDING with its credits held.
 *
 * It lives here, below jobs, so that the service registry (which jobs imports) applies the same
 * rules to services. The domains and ranges mirror the prover's own validation
 * (libs/provers/src/http/dto/prover-profile.dto.ts; a spec there checks they agree).
 * Lookups go through Maps: a key such as "toString" or "constructor" is unknown, never a
 * property of Object.prototype.
 */
type Attribute =
  | { kind: 'minimum'; max: number; integer: boolean }
  | { kind: 'flag' }
  | { kind: 'name'; valid: (v: string) => boolean; rule: string }
  | { kind: 'one of'; values: readonly string[] }
  | { kind: 'kernels' }
  | { kind: 'zk' };

const STORAGE_TYPES = ['hdd', 'ssd', 'nvme', 'network'] as const;
const ZK_FEATURES = ['groth16', 'plonk', 'stark'] as const;
const KERNEL = /^[A-Za-z0-9._:+-]{1,64}$/;
const REGION = /^[A-Za-z0-9._-]{1,64}$/;
const MODEL_MAX = 128;
const LIST_MAX = 64;

const minimum = (max: number, integer: boolean): Attribute => ({ kind: 'minimum', max, integer });
const FLAG: Attribute = { kind: 'flag' };
const MODEL: Attribute = {
  kind: 'name',
  valid: (v) => v.length >= 1 && v.length <= MODEL_MAX,
  rule: `a string of 1 to ${MODEL_MAX} characters`,
};

const HARDWARE = new Map<string, Attribute>([
  ['cpu_cores', minimum(4096, true)],
  ['cpu_model', MODEL],
  ['gpu_count', minimum(64, true)],
  ['gpu_model', MODEL],
  ['gpu_memory_gb', minimum(65536, false)],
  ['ram_gb', minimum(1_048_576, false)],
  ['storage_type', { kind: 'one of', values: STORAGE_TYPES }],
  ['storage_iops', minimum(1_000_000_000, true)],
  ['network_bandwidth_gbps', minimum(10000, false)],
]);
const CAPABILITIES = new Map<string, Attribute>([
  ['supports_fp32', FLAG],
  ['supports_fp16', FLAG],
  ['supports_int8', FLAG],
  ['max_batch_size', minimum(1_000_000, true)],
  ['supported_kernels', { kind: 'kernels' }],
  ['zk_acceleration', { kind: 'zk' }],
]);
const REGION_ATTRIBUTE: Attribute = {
  kind: 'name',
  valid: (v) => REGION.test(v),
  rule: 'a string of 1 to 64 characters of A-Z a-z 0-9 . _ -',
};
const TOP_LEVEL = new Map<string, Attribute>([...HARDWARE, ...CAPABILITIES, ['region', REGION_ATTRIBUTE]]);
const GROUPS = new Map([
  ['hardware_profile', HARDWARE],
  ['capabilities', CAPABILITIES],
]);

/** A requirement that cannot be met, with the field (dotted path) it is at. */
export interface RequirementsProblem {
  field: string;
  message: string;
}

/** Why `requirements` cannot be met by any prover (the field and the reason), or null when it can. */
export function findRequirementsProblem(requirements: unknown, path = 'requirements'): RequirementsProblem | null {
  if (requirements === undefined || requirements === null) return null;
  if (!isJsonObject(requirements)) return { field: path, message: `${path} must be an object` };
  return keysProblem(path, requirements, TOP_LEVEL, true);
}

/** Why `requirements` cannot be a job's requirements, or null when it can. */
export function requirementsProblem(requirements: unknown): string | null {
  return findRequirementsProblem(requirements)?.message ?? null;
}

function keysProblem(
  path: string,
  object: Record<string, unknown>,
  known: Map<string, Attribute>,
  groups: boolean,
): RequirementsProblem | null {
  for (const [key, value] of Object.entries(object)) {
    const at = `${path}.${key}`;
    const group = groups ? GROUPS.get(key) : undefined;
    if (group) {
      if (value === null) continue;
      if (!isJsonObject(value)) return { field: at, message: `${at} must be an object` };
      const problem = keysProblem(at, value, group, false);
      if (problem) return problem;
      continue;
    }
    const attribute = known.get(key);
    if (!attribute) {
      const names = [...known.keys(), ...(groups ? GROUPS.keys() : [])].join(', ');
      return { field: at, message: `${at} is not a prover attribute (known: ${names})` };
    }
    const message = valueProblem(at, attribute, value);
    if (message) return { field: at, message };
  }
  return null;
}

function valueProblem(at: string, attribute: Attribute, value: unknown): string | null {
  if (value === null) return null; // asks for nothing
  switch (attribute.kind) {
    case 'minimum': {
      const { max, integer } = attribute;
      const ok =
        typeof value === 'number' &&
        (integer ? Number.isInteger(value) : Number.isFinite(value)) &&
        value >= 0 &&
        value <= max;
      return ok
        ? null
        : `${at} must be ${integer ? 'an integer' : 'a number'} from 0 to ${max} (the least the prover must have)`;
    }
    case 'flag':
      return typeof value === 'boolean' ? null : `${at} must be true or false`;
    case 'name':
      return typeof value === 'string' && attribute.valid(value) ? null : `${at} must be ${attribute.rule}`;
    case 'one of':
      return typeof value === 'string' && attribute.values.includes(value)
        ? null
        : `${at} must be one of ${attribute.values.join(', ')}`;
    case 'kernels': {
      const kernel = (v: unknown) => typeof v === 'string' && KERNEL.test(v);
      return kernel(value) || (Array.isArray(value) && value.length <= LIST_MAX && value.every(kernel))
        ? null
        : `${at} must be a kernel or a list of at most ${LIST_MAX} kernels, each 1-64 characters of A-Z a-z 0-9 . _ : + -`;
    }
    case 'zk': {
      const feature = (v: unknown) => typeof v === 'string' && (ZK_FEATURES as readonly string[]).includes(v);
      const ok =
        feature(value) ||
        (Array.isArray(value) && value.every(feature)) ||
        (isJsonObject(value) && Object.entries(value).every(([k, v]) => feature(k) && typeof v === 'boolean'));
      return ok
        ? null
        : `${at} must name zk features (${ZK_FEATURES.join(', ')}): one, a list, or an object of true/false`;
    }
  }
}
