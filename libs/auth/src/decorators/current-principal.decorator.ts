import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { UnauthenticatedError } from '@tally/shared';
import type { Principal } from '../domain/api-key';
import type { AuthenticatedRequest } from '../authentication/authenticated-request';

/**
 * The caller of a route guarded by @Roles: `{ keyId, role, subject }`.
 * On a @Public route there is no principal, and using this decorator there is an error.
 */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw new UnauthenticatedError();
  return principal;
});
