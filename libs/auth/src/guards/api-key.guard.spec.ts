import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { UnauthenticatedError, UnavailableError } from '@tally/shared';
import type { AuthenticatedRequest } from '../authentication/authenticated-request';
import type { Authentication, CredentialAuthenticator } from '../authentication/credential-authenticator';
import type { RateLimiter } from '../authentication/rate-limiter';
import type { SignatureVerifier } from '../authentication/signature-verifier';
import { Public, Roles } from '../decorators/roles.decorator';
import type { ApiKey } from '../domain/api-key';
import { ApiKeyGuard } from './api-key.guard';

class Undecorated {
  route() {}
}
@Roles('admin')
class AdminOnly {
  route() {}
  @Roles('client')
  clientRoute() {}
  @Public()
  publicRoute() {}
}
@Public()
class PublicClass {
  route() {}
  @Roles('prover')
  proverRoute() {}
}

const KEYS: Record<string, ApiKey> = Object.fromEntries(
  (['admin', 'client', 'prover'] as const).map((role) => [
    `tly_${role}`,
    {
      id: `id-${role}`,
      keyHash: `hash-${role}`,
      prefix: `tly_${role}`,
      role,
      subject: role,
      requireSignature: false,
      label: null,
      createdAt: new Date(0),
      revokedAt: null,
    },
  ]),
);

/** Stands in for the authenticator: the keys above, a prover's JWT, a refused one, an unreadable JWKS. */
async function authenticate(presented: string): Promise<Authentication | null> {
  if (presented === 'jwt.prover.ok') {
    return {
      principal: { keyId: 'jwt:t1', role: 'prover', subject: 'p7' },
      rateLimitKey: 'prover:p7',
      apiKey: null,
      stillAuthenticated: async () => true,
    };
  }
  if (presented === 'jwt.expired.x') throw new UnauthenticatedError('the token has expired (exp)');
  if (presented === 'jwt.jwks.down') throw new UnavailableError("identity provider's JWKS", 3);
  const key = KEYS[presented];
  if (!key) return null;
  return {
    principal: { keyId: key.id, role: key.role, subject: key.subject },
    rateLimitKey: `key:${key.id}`,
    apiKey: key,
    stillAuthenticated: async () => true,
  };
}

function setup() {
  const consumed: string[] = [];
  const guard = new ApiKeyGuard(
    new Reflector(),
    { authenticate } as unknown as CredentialAuthenticator,
    { consume: async (tracker: string) => void consumed.push(tracker) } as unknown as RateLimiter,
    { verify: async () => undefined } as unknown as SignatureVerifier,
  );
  const run = async (cls: new () => object, method: string, key?: string) => {
    const req = {
      headers: key ? { authorization: `Bearer ${key}` } : {},
      raw: { rawHeaders: key ? ['Authorization', `Bearer ${key}`] : [] },
      ip: '127.0.0.1',
    } as unknown as AuthenticatedRequest;
    const context = {
      getType: () => 'http',
      getHandler: () => (cls.prototype as Record<string, unknown>)[method],
      getClass: () => cls,
      switchToHttp: () => ({ getRequest: () => req, getResponse: () => ({ setHeader() {} }) }),
    } as unknown as ExecutionContext;
    try {
      await guard.canActivate(context);
      return { status: 'allowed', principal: req.principal };
    } catch (error) {
      return {
        status: (error as { constructor: { name: string } }).constructor.name,
        message: (error as Error).message,
      };
    }
  };
  return { run, consumed };
}

describe('ApiKeyGuard', () => {
  it('denies a route with neither @Roles nor @Public, even to admins', async () => {
    const { run } = setup();
    expect((await run(Undecorated, 'route')).status).toBe('UnauthenticatedError');
    expect((await run(Undecorated, 'route', 'tly_admin')).status).toBe('ForbiddenError');
  });

  it('admits only the listed roles and attaches the principal', async () => {
    const { run } = setup();
    expect(await run(AdminOnly, 'route', 'tly_admin')).toEqual({
      status: 'allowed',
      principal: { keyId: 'id-admin', role: 'admin', subject: 'admin' },
    });
    expect((await run(AdminOnly, 'route', 'tly_client')).status).toBe('ForbiddenError');
    expect((await run(AdminOnly, 'route', 'tly_unknown')).status).toBe('UnauthenticatedError');
  });

  it('lets the handler override the class', async () => {
    const { run } = setup();
    expect((await run(AdminOnly, 'clientRoute', 'tly_client')).status).toBe('allowed');
    expect((await run(AdminOnly, 'clientRoute', 'tly_admin')).status).toBe('ForbiddenError');
    expect((await run(AdminOnly, 'publicRoute')).status).toBe('allowed');
    expect((await run(PublicClass, 'route')).status).toBe('allowed');
    expect((await run(PublicClass, 'proverRoute')).status).toBe('UnauthenticatedError');
    expect((await run(PublicClass, 'proverRoute', 'tly_prover')).status).toBe('allowed');
  });

  it('rate-limits by key when authenticated, by IP otherwise, and not public routes', async () => {
    const { run, consumed } = setup();
    await run(AdminOnly, 'route', 'tly_admin');
    await run(AdminOnly, 'route', 'tly_client');
    await run(AdminOnly, 'route');
    await run(AdminOnly, 'route', 'tly_unknown');
    await run(PublicClass, 'route');
    expect(consumed).toEqual(['key:id-admin', 'key:id-client', 'ip:127.0.0.1', 'ip:127.0.0.1']);
  });

  it('admits a prover JWT on prover routes, rate-limited per prover', async () => {
    const { run, consumed } = setup();
    expect(await run(PublicClass, 'proverRoute', 'jwt.prover.ok')).toEqual({
      status: 'allowed',
      principal: { keyId: 'jwt:t1', role: 'prover', subject: 'p7' },
    });
    expect((await run(AdminOnly, 'route', 'jwt.prover.ok')).status).toBe('ForbiddenError');
    expect(consumed).toEqual(['prover:p7', 'prover:p7']);
  });

  it('passes a refused JWT on as 401 counted per IP, and an unreadable JWKS as 503 counted nowhere', async () => {
    const { run, consumed } = setup();
    expect(await run(PublicClass, 'proverRoute', 'jwt.expired.x')).toEqual({
      status: 'UnauthenticatedError',
      message: 'the token has expired (exp)',
    });
    expect((await run(PublicClass, 'proverRoute', 'jwt.jwks.down')).status).toBe('UnavailableError');
    expect(consumed).toEqual(['ip:127.0.0.1']);
  });
});
