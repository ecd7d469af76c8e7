import { PipeTransform } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ValidateBy, ValidationOptions } from 'class-validator';
import { InvalidRequestError } from '../errors';
import { INT64_MAX } from '../json/proto-json';

/**
 * A network job id: an int64 from a sequence, from 1, written as its decimal digits (proto3
 * JSON writes an int64 as a string, so a client in any language reads it exactly).
 */
export const JOB_ID_PATTERN = /^[1-9][0-9]{0,18}$/;
export const JOB_ID_MESSAGE = 'must be a network job id: a positive int64, as a decimal string or a JSON integer';

/** The id as a string when `value` is one (digits within int64, or a safe JSON integer), else null. */
export function jobIdOf(value: unknown): string | null {
  // A JSON number beyond 2^53 has already lost digits: only safe integers are taken as numbers.
  const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof text !== 'string' || !JOB_ID_PATTERN.test(text) || BigInt(text) > INT64_MAX) return null;
  return text;
}

/** Parses a network job id from a path, query or body (DSE-001 if it is not one). */
export function parseJobId(value: unknown, field = 'network_job_id'): string {
  const id = jobIdOf(value);
  if (id === null) throw new InvalidRequestError(`${field} ${JOB_ID_MESSAGE}`, { field });
  return id;
}

/** The `:network_job_id` path parameter: digits within int64, else 400 DSE-001. */
export class ParseJobIdPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    return parseJobId(value);
  }
}

/**
 * A body field holding a job id or ids, as a string or a JSON number: a valid one becomes
 * its canonical string (so handlers only ever meet strings); anything else is left as sent
 * for the field's validator (`IsJobId`) to refuse.
 */
export const JobIdField = () =>
  Transform(({ value }: { value: unknown }) =>
    Array.isArray(value) ? value.map((v) => jobIdOf(v) ?? v) : (jobIdOf(value) ?? value),
  );

/** Validates a job id field (each element with `{ each: true }`): digits of a positive int64. */
export const IsJobId = (options?: ValidationOptions) =>
  ValidateBy(
    {
      name: 'isJobId',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && jobIdOf(value) === value,
        defaultMessage: () => `${options?.each ? 'each value in ' : ''}$property ${JOB_ID_MESSAGE}`,
      },
    },
    options,
  );

/** Documents a route's `{network_job_id}` path parameter (read with ParseJobIdPipe). */
export const ApiJobIdParam = () =>
  ApiParam({
    name: 'network_job_id',
    description: "the job's network id: a positive int64 in decimal (anything else is 400 DSE-001)",
    schema: { type: 'string', format: 'int64', pattern: JOB_ID_PATTERN.source, example: '12345' },
  });
