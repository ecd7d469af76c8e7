import { ValidationError, ValidationPipe } from '@nestjs/common';
import { InvalidRequestError } from '@tally/shared';

function flatten(errors: ValidationError[], parent = ''): { field: string; message: string }[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/** class-validator with whitelist and forbidNonWhitelisted; failures are DSE-001 with per-field messages. */
export function createValidationPipe(): ValidationPipe {
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
