import { ValidateIf } from 'class-validator';

/**
 * A field that may be left out: its rules apply when it is there. Unlike class-validator's
 * which skips null as well, an explicit null is checked like any other value,
 * so it is refused (as the wrong type), and a handler never meets null where it expects a
 * string, an object or an array. (Lint refuses IsOptional for that reason.)
 */
export const IfPresent = () => ValidateIf((_object: object, value: unknown) => value !== undefined);

/** A field that may be left out or null (documented `nullable`, both meaning its default); otherwise checked. */
export const IfPresentAndNotNull = () =>
  ValidateIf((_object: object, value: unknown) => value !== undefined && value !== null);
