import { ValidationError, ValidationPipe } from '@nestjs/common';
import { InvalidRequestError } from '../errors';
import { cacheValidationMetadata } from './validation-metadata-cache';

/**
 * One message per field: the failing rule declared first (DTOs declare the type rule first,
 * so a missing field is "must be a string", not also "must be shorter than 128 characters").
 * class-validator runs, and lists, a property's rules bottom-up, hence the last one here.
 * (stopAtFirstError would stop at the rule declared last: the length, not the type.)
 */
function flatten(errors: ValidationError[], parent = ''): { field: string; message: string }[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const message = Object.values(e.constraints ?? {}).at(-1);
    return [...(message === undefined ? [] : [{ field, message }]), ...flatten(e.children ?? [], field)];
  });
}

/** class-validator with whitelist and forbidNonWhitelisted; failures are DSE-001 with per-field messages. */
export function createValidationPipe(): ValidationPipe {
  cacheValidationMetadata();
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    exceptionFactory: (errors) => {
      const fields = flatten(errors);
      return new InvalidRequestError(fields.map((f) => f.message).join('; ') || 'invalid request', {
        errors: fields,
      });
    },
  });
}
