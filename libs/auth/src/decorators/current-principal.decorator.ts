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

/**
 * For a long request (a long poll): a check that the caller's key is still valid, to run
 * before acting for it after a wait. On a @Public route there is no key, and using this
 * decorator there is an error.
 */
export const StillAuthenticated = createParamDecorator(
  (_data: unknown, context: ExecutionContext): (() => Promise<boolean>) => {
    const check = context.switchToHttp().getRequest<AuthenticatedRequest>().stillAuthenticated;
    if (!check) throw new UnauthenticatedError();
    return check;
  },
);
