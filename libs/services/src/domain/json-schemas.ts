import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import { InvalidRequestError } from '@tally/shared';

/**
 * Services describe their job input and result metadata as JSON Schema (draft 2020-12).
 * One validator for the process; strict, so a misspelt keyword is a refused schema rather than
 * a silently ignored rule. Compiled schemas are cached by their text: the 30+ seeded services
 * and every request against them compile once.
 */
const ajv = new Ajv2020({ allErrors: true, strict: true });
const compiled = new Map<string, ValidateFunction>();
const CACHE_MAX = 1024;

/** The compiled validator of `schema`; a schema that does not compile is DSE-001 naming `field`. */
export function compileJsonSchema(schema: unknown, field: string): ValidateFunction {
  const key = JSON.stringify(schema);
  const hit = compiled.get(key);
  if (hit) return hit;
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new InvalidRequestError(`${field} must be a JSON Schema object`, { field });
  }
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(schema);
  } catch (error) {
    throw new InvalidRequestError(`${field} is not a valid JSON Schema (draft 2020-12): ${(error as Error).message}`, {
      field,
    });
  } finally {
    // Schemas are compiled by content, not by $id: forget the $id so the same one may come again.
    const id = (schema as { $id?: unknown }).$id;
    if (typeof id === 'string') ajv.removeSchema(id);
  }
  if (compiled.size >= CACHE_MAX) compiled.delete(compiled.keys().next().value!);
  compiled.set(key, validate);
  return validate;
}

/** Why `value` does not match `schema` (JSON pointer and message per error), or null when it does. */
export function schemaErrors(
  schema: unknown,
  field: string,
  value: unknown,
): { pointer: string; message: string }[] | null {
  const validate = compileJsonSchema(schema, field);
  if (validate(value)) return null;
  return (validate.errors ?? []).map((e) => ({ pointer: e.instancePath || '/', message: e.message ?? 'is invalid' }));
}

/** At most this many field errors in an answer: a large body can fail a schema in thousands of places. */
export const MAX_FIELD_ERRORS = 20;

/**
 * A request body checked against a service's input schema: null when it is valid, else its
 * first MAX_FIELD_ERRORS errors as the app's field errors, each `field` a JSON pointer
 * (RFC 6901) into the body. A missing or unknown property is pointed at itself, not its parent.
 */
export function bodyFieldErrors(
  schema: Record<string, unknown>,
  field: string,
  body: unknown,
): { field: string; message: string }[] | null {
  const validate = compileJsonSchema(schema, field);
  if (validate(body)) return null;
  return (validate.errors ?? []).slice(0, MAX_FIELD_ERRORS).map((e) => {
    const params = e.params as { missingProperty?: string; additionalProperty?: string };
    const child = params.missingProperty ?? params.additionalProperty;
    const escaped = child?.replace(/~/g, '~0').replace(/\//g, '~1');
    const pointer = escaped === undefined ? e.instancePath : `${e.instancePath}/${escaped}`;
    const message = params.additionalProperty ? 'is not a field of this service' : (e.message ?? 'is invalid');
    return { field: pointer || '/', message };
  });
}
