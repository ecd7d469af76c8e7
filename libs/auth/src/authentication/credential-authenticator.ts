import { Injectable } from '@nestjs/common';
import { UnauthenticatedError } from '@tally/shared';
import type { ApiKey, Principal } from '../domain/api-key';
import { MAX_PRESENTED_KEY_LENGTH } from '../domain/api-key-secret';
import { credentialKind } from '../domain/credential-kind';
import { ApiKeyAuthenticator } from './api-key-authenticator';
import { JwtAuthenticator } from './jwt/jwt-authenticator';

/** Who a credential authenticates, and what a transport needs to go on with it. */
export interface Authentication {
  principal: Principal;
  /** The rate-limit bucket: one per API key (`key:<id>`), one per prover for JWTs (`prover:<sub>`). */
  rateLimitKey: string;
  /** The API key, for an API key (its request-signature setting and secret); null for a JWT. */
  apiKey: ApiKey | null;
  /**
   * Whether the credential still holds now, for a long request acting after a wait: false
   * once the key is revoked, or the token expired or its kid left the JWKS. Throws
   * UnavailableError (DSE-014) when the JWKS cannot be read to tell.
   */
  stillAuthenticated(): Promise<boolean>;
}

/**
 * Authentication for every transport (the REST guard; the gRPC `authorization` metadata):
 * a presented credential is an API key or, with a JWKS configured, a prover's JWT; its shape
 * says which (`credentialKind`), so a JWT never reaches the key table.
 */
@Injectable()
export class CredentialAuthenticator {
  constructor(
    private readonly apiKeys: ApiKeyAuthenticator,
    private readonly jwts: JwtAuthenticator,
  ) {}

  /**
   * The authentication, or null for an unknown, revoked or oversized API key. A JWT that
   * is refused throws UnauthenticatedError (DSE-002) saying why; one that cannot be checked
   * because the JWKS cannot be read throws UnavailableError (DSE-014, retry later).
   */
  async authenticate(presented: string): Promise<Authentication | null> {
    return credentialKind(presented) === 'jwt' ? this.byJwt(presented) : this.byApiKey(presented);
  }

  private async byApiKey(presented: string): Promise<Authentication | null> {
    if (presented.length > MAX_PRESENTED_KEY_LENGTH) return null;
    const key = await this.apiKeys.authenticate(presented);
    if (!key) return null;
    return {
      principal: { keyId: key.id, role: key.role, subject: key.subject },
      rateLimitKey: `key:${key.id}`,
      apiKey: key,
      // Through the same short cache as every request: a revoke here is seen at once, elsewhere within its TTL.
      stillAuthenticated: async () => (await this.apiKeys.authenticate(presented))?.id === key.id,
    };
  }

  private async byJwt(token: string): Promise<Authentication> {
    const principal = await this.jwts.verify(token);
    return {
      principal,
      rateLimitKey: `prover:${principal.subject}`,
      apiKey: null,
      stillAuthenticated: async () => {
        try {
          await this.jwts.verify(token);
          return true;
        } catch (error) {
          if (error instanceof UnauthenticatedError) return false;
          throw error; // the JWKS cannot be read (DSE-014): unknown, not refused
        }
      },
    };
  }
}
