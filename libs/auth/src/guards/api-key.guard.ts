import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { normalizeIp } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import { ForbiddenError, UnauthenticatedError } from '@tally/shared';
import type { AuthenticatedRequest } from '../authentication/authenticated-request';
import { type Authentication, CredentialAuthenticator } from '../authentication/credential-authenticator';
import { presentedCredential } from '../authentication/credentials';
import { RateLimiter } from '../authentication/rate-limiter';
import { SignatureVerifier } from '../authentication/signature-verifier';
import { PUBLIC_KEY, type Role, ROLES_KEY } from '../decorators/roles.decorator';

type Access = { public: true; throttled: boolean } | { public: false; roles: readonly Role[] };

/**
 * The global guard (APP_GUARD). Secure by default: a route is open only with @Public;
 * otherwise it needs a valid credential whose role is listed in @Roles (a route with
 * neither decorator admits nobody). For each request, in order:
 *   1. the credential (an API key as Bearer or X-API-Key, or a prover's JWT as Bearer):
 *      missing, unknown, revoked or refused → 401 DSE-002, counted against the client IP's
 *      rate limit (so guessing is throttled too); a JWT while the JWKS cannot be read →
 *      503 DSE-014 with Retry-After;
 *   2. the rate limit of the key (of the prover, for a JWT) → 429 DSE-012 with Retry-After;
 *   3. keys with require_signature: HMAC, timestamp and replay → 401 DSE-002;
 *   4. the role → 403 DSE-002;
 * then `req.principal` = { keyId, role, subject }.
 * Public routes are not authenticated. Probes and scrapes (health, readiness, metrics) are
 * not throttled either (behind a proxy all their callers would share one IP); public routes
 * that work for anyone (receipt verification, batches, keys) are throttled per client IP.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  /** Each route's access, by handler then class: decorators are fixed once the app is built. */
  private readonly accessOf = new WeakMap<object, WeakMap<object, Access>>();

  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: CredentialAuthenticator,
    private readonly rateLimiter: RateLimiter,
    private readonly signatures: SignatureVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const access = this.access(context);
    if (access.public && !access.throttled) return true;
    if (context.getType() !== 'http') throw new ForbiddenError('only HTTP requests can be authenticated');
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const res = context.switchToHttp().getResponse<FastifyReply>();
    if (access.public) {
      await this.rateLimiter.consume(`ip:${clientIp(req)}`, res);
      return true;
    }

    let presented: string | null;
    let authentication: Authentication | null;
    try {
      presented = presentedCredential(req.headers, req.raw.rawHeaders);
      authentication = presented === null ? null : await this.authenticator.authenticate(presented);
    } catch (error) {
      // A JWKS that cannot be read is not the caller's failure: it costs no attempt.
      if (error instanceof UnauthenticatedError) await this.rateLimiter.consume(`ip:${clientIp(req)}`, res);
      throw error;
    }
    if (!authentication) {
      await this.rateLimiter.consume(`ip:${clientIp(req)}`, res);
      throw new UnauthenticatedError(
        presented === null
          ? 'an API key or a JWT is required (Authorization: Bearer <key or JWT>, or X-API-Key: <key>)'
          : 'unknown or revoked API key',
      );
    }
    const { principal, apiKey, rateLimitKey } = authentication;
    await this.rateLimiter.consume(rateLimitKey, res);
    if (apiKey?.requireSignature) await this.signatures.verify(req, apiKey);
    if (!access.roles.includes(principal.role)) {
      throw new ForbiddenError(
        access.roles.length === 0
          ? 'this route is not open to any role'
          : `this route requires the role ${access.roles.join(' or ')}; this caller is ${principal.role}`,
      );
    }
    req.principal = principal;
    const authenticated = authentication;
    req.stillAuthenticated = () => authenticated.stillAuthenticated();
    return true;
  }

  private access(context: ExecutionContext): Access {
    const handler = context.getHandler();
    const cls = context.getClass();
    let byClass = this.accessOf.get(handler);
    if (!byClass) this.accessOf.set(handler, (byClass = new WeakMap()));
    let access = byClass.get(cls);
    if (!access) byClass.set(cls, (access = this.declaredAccess(handler, cls)));
    return access;
  }

  /** The most specific declaration wins: the handler's @Public/@Roles, else the class's. */
  private declaredAccess(handler: object, cls: object): Access {
    for (const target of [handler, cls] as (() => unknown)[]) {
      const open = this.reflector.get<true | 'throttled' | undefined>(PUBLIC_KEY, target);
      if (open) return { public: true, throttled: open === 'throttled' };
      const roles = this.reflector.get<Role[] | undefined>(ROLES_KEY, target);
      if (roles) return { public: false, roles };
    }
    return { public: false, roles: [] };
  }
}

function clientIp(req: AuthenticatedRequest): string {
  const ip = req.ip ?? req.socket?.remoteAddress;
  return ip ? normalizeIp(ip) : 'unknown';
}
