import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import type { Role } from '../domain/role';

export { ROLES, type Role } from '../domain/role';

export const ROLES_KEY = 'tally:roles';
export const PUBLIC_KEY = 'tally:public';

/**
 * The roles allowed on a route. A route with neither @Roles nor @Public is denied. The
 * OpenAPI document lists them on each operation as `x-roles`.
 */
export const Roles = (...roles: Role[]) =>
  applyDecorators(SetMetadata(ROLES_KEY, roles), ApiExtension('x-roles', roles));

/**
 * Marks a route as open to anyone. Probes and scrapes (health, readiness, metrics) are not
 * throttled; a public route that does real work for anyone (verifying a receipt, reading
 * batches) takes `{ throttled: true }`: limited per client IP, as requests without a key are.
 * The OpenAPI document marks such an operation `x-throttled` (it can answer 429).
 */
export const Public = (options: { throttled?: boolean } = {}) =>
  options.throttled
    ? applyDecorators(SetMetadata(PUBLIC_KEY, 'throttled'), ApiExtension('x-throttled', true))
    : SetMetadata(PUBLIC_KEY, true);
