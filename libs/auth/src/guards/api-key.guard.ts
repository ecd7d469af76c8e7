import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { normalizeIp } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import { ForbiddenError, UnauthenticatedError } from '@tally/shared';
import { ApiKeyAuthenticator } from '../authentication/api-key-authenticator';
import type { AuthenticatedRequest } from '../authentication/authenticated-request';
import { presentedApiKey } from '../authentication/credentials';
import { RateLimiter } from '../authentication/rate-limiter';
import { SignatureVerifier } from '../authentication/signature-verifier';
import { PUBLIC_KEY, type Role, ROLES_KEY } from '../decorators/roles.decorator';

type Access = { public: true; throttled: boolean } | { public: false; roles: readonly Role[] };

/**
 * The global guard (APP_GUARD). Secure by default: a route is open only with @Public;
 * otherwise it needs a valid key whose role is listed in @Roles (a route with neither
 * decorator admits nobody). For each request, in order:
 *   1. the key (Bearer or X-API-Key): missing, unknown or revoked → 401 DSE-002,
 *      counted against the client IP's rate limit (so guessing is throttled too);
 *   2. the key's rate limit → 429 DSE-012 with Retry-After;
 *   3. keys with require_signature: HMAC, timestamp and replay → 401 DSE-002;
 *   4. the role → 403 DSE-002;
 * then `req.principal` = { keyId, role, subject }.
 * Public routes are not authenticated. Probes and scrapes (health, readiness, metrics) are
 * not throttled either (behind a proxy all their callers would share one IP); public routes
 * that work for anyone (receipt verification, batches, keys) are throttled per client IP.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: ApiKeyAuthenticator,
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
    try {
      presented = presentedApiKey(req.headers, req.raw.rawHeaders);
    } catch (error) {
      await this.rateLimiter.consume(`ip:${clientIp(req)}`, res);
      throw error;
    }
    const key = presented === null ? null : await this.authenticator.authenticate(presented);
    if (!key) {
      await this.rateLimiter.consume(`ip:${clientIp(req)}`, res);
      throw new UnauthenticatedError(
        presented === null
          ? 'an API key is required (Authorization: Bearer <key> or X-API-Key: <key>)'
          : 'unknown or revoked API key',
      );
    }
    await this.rateLimiter.consume(`key:${key.id}`, res);
    if (key.requireSignature) await this.signatures.verify(req, key);
    if (!access.roles.includes(key.role)) {
      throw new ForbiddenError(
        access.roles.length === 0
          ? 'this route is not open to any role'
          : `this route requires the role ${access.roles.join(' or ')}; this key is ${key.role}`,
      );
    }
    req.principal = { keyId: key.id, role: key.role, subject: key.subject };
    // Through the same short cache as every request: a revoke here is seen at once, elsewhere within its TTL.
    const secret = presented as string; // a key was found, so one was presented
    req.stillAuthenticated = async () => (await this.authenticator.authenticate(secret))?.id === key.id;
    return true;
  }

  /** The most specific declaration wins: the handler's @Public/@Roles, else the class's. */
  private access(context: ExecutionContext): Access {
    for (const target of [context.getHandler(), context.getClass()]) {
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
