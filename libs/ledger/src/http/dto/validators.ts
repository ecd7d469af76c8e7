import { IDENTIFIER_MESSAGE, IDENTIFIER_PATTERN } from '@tally/shared';
import { registerDecorator, ValidationOptions } from 'class-validator';
import { isBoundedObject } from '../../domain';

export const AMOUNT_PATTERN = /^(0|[1-9]\d*)(\.\d{1,6})?$/;
export const AMOUNT_MESSAGE = '$property must be a decimal string with at most 6 fractional digits, like "12.5"';
export const ID_PATTERN = IDENTIFIER_PATTERN;
export const ID_MESSAGE = IDENTIFIER_MESSAGE;

/** A JSON object whose serialised size stays within `maxBytes` (metadata ≤ 16 KB). */
export function IsBoundedObject(maxBytes: number, options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isBoundedObject',
      target: target.constructor,
      propertyName,
      options: { message: `$property must be a JSON object of at most ${maxBytes} bytes`, ...options },
      validator: { validate: (value: unknown) => isBoundedObject(value, maxBytes) },
    });
}
