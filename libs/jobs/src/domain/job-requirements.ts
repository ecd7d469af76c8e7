import { isJsonObject } from '@tally/shared';

/**
 * What a job's `requirements` may ask of a prover: the attributes a prover registers and
 * heartbeats (its hardware profile, capabilities and region), each in the form the
 * scheduler's matcher reads it (numbers are minimums, flags must be true, names must
 * match, kernel and zk feature lists must all be supported). A key no prover has, or a
 * value of a type that attribute never has, is refused at submit: such a job could never
 * be scheduled and would only sit PENDING with its credits held.
 */
type AttributeKind = 'minimum' | 'flag' | 'name' | 'names' | 'zk';

const HARDWARE: Record<string, AttributeKind> = {
  cpu_cores: 'minimum',
  cpu_model: 'name',
  gpu_count: 'minimum',
  gpu_model: 'name',
  gpu_memory_gb: 'minimum',
  ram_gb: 'minimum',
  storage_type: 'name',
  storage_iops: 'minimum',
  network_bandwidth_gbps: 'minimum',
};
const CAPABILITIES: Record<string, AttributeKind> = {
  supports_fp32: 'flag',
  supports_fp16: 'flag',
  supports_int8: 'flag',
  max_batch_size: 'minimum',
  supported_kernels: 'names',
  zk_acceleration: 'zk',
};
const TOP_LEVEL: Record<string, AttributeKind> = { ...HARDWARE, ...CAPABILITIES, region: 'name' };
const GROUPS: Record<string, Record<string, AttributeKind>> = {
  hardware_profile: HARDWARE,
  capabilities: CAPABILITIES,
};
const ZK_FEATURES = ['groth16', 'plonk', 'stark'];
const NAME_MAX = 128;
const LIST_MAX = 64;

const isName = (v: unknown) => typeof v === 'string' && v.length >= 1 && v.length <= NAME_MAX;

/** Why `requirements` cannot be a job's requirements, or null when it can. */
export function requirementsProblem(requirements: unknown): string | null {
  if (requirements === undefined || requirements === null) return null;
  if (!isJsonObject(requirements)) return 'requirements must be an object';
  return keysProblem('requirements', requirements, TOP_LEVEL, true);
}

function keysProblem(
  path: string,
  object: Record<string, unknown>,
  known: Record<string, AttributeKind>,
  groups: boolean,
): string | null {
  for (const [key, value] of Object.entries(object)) {
    const at = `${path}.${key}`;
    if (groups && Object.prototype.hasOwnProperty.call(GROUPS, key)) {
      if (value === null) continue;
      if (!isJsonObject(value)) return `${at} must be an object`;
      const problem = keysProblem(at, value, GROUPS[key], false);
      if (problem) return problem;
      continue;
    }
    if (!Object.prototype.hasOwnProperty.call(known, key)) {
      const names = [...Object.keys(known), ...(groups ? Object.keys(GROUPS) : [])].join(', ');
      return `${at} is not a prover attribute (known: ${names})`;
    }
    const problem = valueProblem(at, known[key], value);
    if (problem) return problem;
  }
  return null;
}

function valueProblem(at: string, kind: AttributeKind, value: unknown): string | null {
  if (value === null) return null; // asks for nothing
  switch (kind) {
    case 'minimum':
      return typeof value === 'number' && Number.isFinite(value) && value >= 0
        ? null
        : `${at} must be a non-negative number (the least the prover must have)`;
    case 'flag':
      return typeof value === 'boolean' ? null : `${at} must be true or false`;
    case 'name':
      return isName(value) ? null : `${at} must be a string of 1 to ${NAME_MAX} characters`;
    case 'names':
      return isName(value) || (Array.isArray(value) && value.length <= LIST_MAX && value.every(isName))
        ? null
        : `${at} must be a name or a list of at most ${LIST_MAX} names, each of 1 to ${NAME_MAX} characters`;
    case 'zk': {
      const feature = (v: unknown) => typeof v === 'string' && ZK_FEATURES.includes(v);
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
