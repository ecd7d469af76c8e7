import { isJsonObject } from '@tally/shared';

/**
 * Does a prover meet a job's requirements? Requirements are JSON (the job's `requirements`
 * and its service's `hardware_requirements`); each key is looked up on the prover's view:
 * its `capabilities`, then its `hardware_profile`, then `region`, and also under the names
 * `capabilities` and `hardware_profile` themselves (so {"capabilities": {...}} works too).
 *
 * A required value is met when:
 *   - `true`: the prover's value is `true`;
 *   - `false`, `null`, `[]`, `{}`: always (nothing is required);
 *   - a number n: the prover's value is a number ≥ n (numbers are minimums);
 *   - a string s: the prover's value is s, or an array holding s, or an object whose key s
 *     is `true` (zk_acceleration {"groth16": true} meets "groth16");
 *   - an array: every element is met as a string/number would be against the prover's value
 *     taken as a set: an array must hold each element, an object must have each element as
 *     a key set to `true` (so service `zk_acceleration: ["groth16"]` matches
 *     capabilities `zk_acceleration: {"groth16": true}`): required arrays are subsets;
 *   - an object: the prover's value is an object meeting each of its keys, recursively.
 * A key the prover lacks fails any requirement that is not empty. Anything else fails.
 */
export function meetsRequirement(required: unknown, actual: unknown): boolean {
  if (required === null || required === undefined || required === false) return true;
  if (required === true) return actual === true;
  if (typeof required === 'number') return typeof actual === 'number' && actual >= required;
  if (typeof required === 'string') return holds(actual, required);
  if (Array.isArray(required)) return required.every((element) => holds(actual, element));
  if (isJsonObject(required)) {
    const entries = Object.entries(required);
    if (entries.length === 0) return true;
    if (!isJsonObject(actual)) return false;
    return entries.every(([key, value]) => meetsRequirement(value, own(actual, key)));
  }
  return false;
}

/** Whether `actual` is or contains the scalar `element` (see meetsRequirement). */
function holds(actual: unknown, element: unknown): boolean {
  if (typeof element !== 'string' && typeof element !== 'number') return false;
  if (actual === element) return true;
  if (Array.isArray(actual)) return actual.includes(element);
  if (isJsonObject(actual) && typeof element === 'string') return own(actual, element) === true;
  return false;
}

/** An own property only: "constructor" or "__proto__" in a requirement never reads the prototype. */
function own(object: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined;
}

export interface ProverAttributes {
  region: string | null;
  hardwareProfile: Record<string, unknown>;
  capabilities: Record<string, unknown>;
}

/** Each prover's view, built once per prover object (a draw checks every prover against every job). */
const views = new WeakMap<ProverAttributes, Record<string, unknown>>();

/** The prover as requirements see it (see meetsRequirement for the lookup order). */
export function proverView(p: ProverAttributes): Record<string, unknown> {
  let view = views.get(p);
  if (!view) views.set(p, (view = buildView(p)));
  return view;
}

function buildView(p: ProverAttributes): Record<string, unknown> {
  const hardware = isJsonObject(p.hardwareProfile) ? p.hardwareProfile : {};
  const capabilities = isJsonObject(p.capabilities) ? p.capabilities : {};
  const view: Record<string, unknown> = Object.create(null);
  if (p.region !== null) view.region = p.region;
  Object.assign(view, hardware, capabilities);
  view.hardware_profile = hardware;
  view.capabilities = capabilities;
  return view;
}

/** Every key of `requirements` is met by the prover (an empty object always is). */
export function meetsRequirements(requirements: unknown, prover: ProverAttributes): boolean {
  if (requirements === null || requirements === undefined) return true;
  if (!isJsonObject(requirements)) return false;
  if (Object.keys(requirements).length === 0) return true; // asks for nothing
  return meetsRequirement(requirements, proverView(prover));
}
