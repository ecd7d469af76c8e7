import { Injectable, Logger } from '@nestjs/common';
import { decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { Clock, jwtConfigured, sha256Hex, TallyEnv, UnauthenticatedError, UnavailableError } from '@tally/shared';
import type { Principal } from '../../domain/api-key';
import { MAX_PRESENTED_JWT_LENGTH } from '../../domain/credential-kind';
import { createJwksKeySet, JwksUnavailableError } from './jwks-key-set';

/** The one role a JWT may carry (docs/operations.md, "JWT for provers", says why). */
export const JWT_ROLE = 'prover';
/** Longest `sub` (a prover id) and `jti` taken from a token. */
const MAX_CLAIM_LENGTH = 128;

interface JwtSettings {
  issuer: string;
  audiences: string[];
  algorithms: string[];
  roleClaim: string;
  clockToleranceSeconds: number;
  maxTokenAgeSeconds: number | undefined;
}

/**
 * Verifies a prover's JWT with jose against the configured JWKS (AUTH_JWKS_URL or
 * AUTH_JWKS_FILE): the signature with a key whose kid the header names, in one of
 * AUTH_JWT_ALGORITHMS; `exp` (required), `nbf`, `iss`, `aud`, and `iat` when a maximum
 * age is set, with the clock tolerance; then `sub` (the prover id) and the role claim, which
 * must be `prover`. Off (every JWT refused) unless a JWKS is configured.
 */
@Injectable()
export class JwtAuthenticator {
  private readonly logger = new Logger(JwtAuthenticator.name);
  private readonly settings: JwtSettings | null;
  private readonly keys: JWTVerifyGetKey | null;

  constructor(
    env: TallyEnv,
    private readonly clock: Clock,
  ) {
    if (!jwtConfigured(env)) {
      this.settings = null;
      this.keys = null;
      return;
    }
    this.settings = {
      issuer: env.AUTH_JWT_ISSUER!,
      audiences: env.AUTH_JWT_AUDIENCE!.split(','),
      algorithms: env.AUTH_JWT_ALGORITHMS.split(','),
      roleClaim: env.AUTH_JWT_ROLE_CLAIM,
      clockToleranceSeconds: env.AUTH_JWT_CLOCK_TOLERANCE_SECONDS,
      maxTokenAgeSeconds: env.AUTH_JWT_MAX_TOKEN_AGE_SECONDS,
    };
    this.keys = createJwksKeySet({
      source: env.AUTH_JWKS_FILE !== undefined ? { file: env.AUTH_JWKS_FILE } : { url: env.AUTH_JWKS_URL! },
      cacheTtlMs: env.AUTH_JWKS_CACHE_TTL_SECONDS * 1000,
      cooldownMs: env.AUTH_JWKS_COOLDOWN_SECONDS * 1000,
      timeoutMs: env.AUTH_JWKS_TIMEOUT_MS,
      onReadFailure: (error) => this.logger.warn(`${error.message}; JWTs are refused with 503 meanwhile`),
    });
  }

  /** Whether JWTs are accepted at all. */
  get enabled(): boolean {
    return this.settings !== null;
  }

  /**
   * The prover a token authenticates (keyId `jwt:<jti>`, or `jwt:<its SHA-256>` without a
   * jti; role `prover`; subject its `sub`). Throws UnauthenticatedError (DSE-002) saying why a
   * token is refused, or UnavailableError (DSE-014, with a retry delay) when the JWKS
   * cannot be read: that is not the caller's fault, and an API key still works.
   */
  async verify(token: string): Promise<Principal> {
    if (!this.settings || !this.keys) {
      throw new UnauthenticatedError('this server accepts no JWTs (no JWKS is configured); present an API key');
    }
    const settings = this.settings;
    if (token.length > MAX_PRESENTED_JWT_LENGTH) {
      throw new UnauthenticatedError(`the token is longer than ${MAX_PRESENTED_JWT_LENGTH} characters`);
    }
    checkHeader(token);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        issuer: settings.issuer,
        audience: settings.audiences,
        algorithms: settings.algorithms,
        clockTolerance: settings.clockToleranceSeconds,
        maxTokenAge: settings.maxTokenAgeSeconds,
        requiredClaims: ['exp', 'sub', settings.roleClaim],
        currentDate: this.clock.now(),
      }));
    } catch (error) {
      throw refusal(error, settings);
    }
    return principalOf(token, payload, settings);
  }
}

/** A compact JWS with a kid, and not `alg: none`; checked before any key is looked up. */
function checkHeader(token: string): void {
  if (token.split('.').length === 5) throw new UnauthenticatedError('encrypted tokens (JWE) are not accepted');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw new UnauthenticatedError('malformed token: expected a JWT (three base64url parts joined by dots)');
  }
  if (typeof header.alg !== 'string' || header.alg.toLowerCase() === 'none') {
    throw new UnauthenticatedError('unsigned tokens (alg "none") are not accepted');
  }
  if (typeof header.kid !== 'string' || header.kid === '') {
    throw new UnauthenticatedError('the token header has no kid naming its key in the JWKS');
  }
}

function principalOf(token: string, payload: JWTPayload, settings: JwtSettings): Principal {
  const { sub, jti } = payload;
  if (typeof sub !== 'string' || sub === '' || sub.length > MAX_CLAIM_LENGTH) {
    throw new UnauthenticatedError(`the token's sub must be a prover id (1-${MAX_CLAIM_LENGTH} characters)`);
  }
  const role = payload[settings.roleClaim];
  if (role !== JWT_ROLE) {
    throw new UnauthenticatedError(
      `the token's ${settings.roleClaim} claim must be "${JWT_ROLE}": a JWT authenticates provers only`,
    );
  }
  // The token's id stands where an API key's id would: its jti, or a hash of the token itself.
  const tokenId = typeof jti === 'string' && jti !== '' && jti.length <= MAX_CLAIM_LENGTH ? jti : sha256Hex(token);
  return { keyId: `jwt:${tokenId}`, role: JWT_ROLE, subject: sub };
}

/** What a jose error means for the caller: 401 with the reason, or 503 when the keys cannot be read. */
function refusal(error: unknown, settings: JwtSettings): Error {
  if (error instanceof JwksUnavailableError) {
    return new UnavailableError("identity provider's JWKS", error.retryAfterSeconds);
  }
  if (error instanceof errors.JWKSInvalid || error instanceof errors.JWKInvalid) {
    // A key the JWKS publishes for this kid cannot be used: the identity provider's fault.
    return new UnavailableError("identity provider's JWKS");
  }
  if (error instanceof errors.JWTExpired) {
    return new UnauthenticatedError(
      error.claim === 'iat'
        ? `the token was issued more than ${settings.maxTokenAgeSeconds} seconds ago`
        : 'the token has expired (exp)',
    );
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return new UnauthenticatedError(`the token has no ${error.claim} claim`);
    switch (error.claim) {
      case 'nbf':
        return new UnauthenticatedError('the token is not valid yet (nbf)');
      case 'iss':
        return new UnauthenticatedError(`the token's issuer (iss) is not ${settings.issuer}`);
      case 'aud':
        return new UnauthenticatedError(`the token's audience (aud) does not name ${settings.audiences.join(' or ')}`);
      case 'iat':
        return new UnauthenticatedError('the token was issued in the future (iat)');
      default:
        return new UnauthenticatedError(`the token's ${error.claim} claim is invalid`);
    }
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return new UnauthenticatedError("no key in the JWKS matches the token's kid and alg (unknown or removed key)");
  }
  if (error instanceof errors.JWKSMultipleMatchingKeys) {
    return new UnauthenticatedError("several keys in the JWKS match the token's kid; the token cannot be verified");
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return new UnauthenticatedError(`the token's alg is not accepted (accepted: ${settings.algorithms.join(', ')})`);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new UnauthenticatedError("the token's signature does not verify");
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return new UnauthenticatedError(`malformed token: ${error.message}`);
  }
  return error instanceof Error ? error : new Error(String(error));
}
