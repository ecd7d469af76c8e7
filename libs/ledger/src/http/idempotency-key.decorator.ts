import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { InvalidRequestError } from '@tally/shared';
import type { FastifyRequest } from 'fastify';
import { IDEMPOTENCY_KEY } from '../domain';

/** The required `Idempotency-Key` header: 1–255 printable ASCII characters, else DSE-001. */
export const IdempotencyKey = createParamDecorator((_: unknown, ctx: ExecutionContext): string => {
  const value = ctx.switchToHttp().getRequest<FastifyRequest>().headers['idempotency-key'];
  if (typeof value !== 'string' || !IDEMPOTENCY_KEY.test(value)) {
    throw new InvalidRequestError('the Idempotency-Key header is required: 1-255 printable ASCII characters', {
      field: 'Idempotency-Key',
    });
  }
  return value;
});

export const ApiIdempotencyKey = () =>
  ApiHeader({ name: 'Idempotency-Key', required: true, description: '1-255 printable ASCII characters' });
