import { Inject, Injectable } from '@nestjs/common';
import type { ServerUnaryCall } from '@grpc/grpc-js';
import { normalizeIp } from '@nestjs/throttler';
import { CredentialAuthenticator, presentedCredential, type Principal, RateLimiter, type Role } from '@tally/auth';
import { ForbiddenError, UnauthenticatedError } from '@tally/shared';
import type { CertificatePrincipal, GrpcTransportSecurity } from './tls';
import { GRPC_TRANSPORT_SECURITY } from './grpc-transport-security';

/** What authentication reads of a call, unary or streaming. */
export type CallCredentialsSource = Pick<ServerUnaryCall<unknown, unknown>, 'metadata' | 'getPeer' | 'getAuthContext'>;

/** Who called, and whether their credentials still hold (a long stream re-asks). */
export interface GrpcCaller {
  principal: Principal;
  stillAuthenticated: () => Promise<boolean>;
}

/** Collects the rate limit's headers as response metadata (lower-case, as gRPC metadata is). */
export class MetadataHeaders {
  readonly entries = new Map<string, string>();
  header(name: string, value: string): void {
    this.entries.set(name.toLowerCase(), value);
  }
}

/**
 * The one adapter between gRPC calls and authentication, checked as the HTTP guard checks its
 * headers, in the same order:
 * 1. under mTLS, a client certificate whose subject maps to a role (GRPC_TLS_ROLE_MAP) is the
 *    caller: `scheduler` acts as admin, `prover` as the prover its CN names, `persistor` is
 *    write-only and admitted to no Control API method of v1 (DSE §7.2);
 * 2. otherwise the `authorization: Bearer <credential>` (or `x-api-key`) metadata: an API key,
 *    or a prover's JWT when a JWKS is configured (the same CredentialAuthenticator as REST);
 *    missing, unknown or refused: UNAUTHENTICATED, counted against the peer's address;
 * then the caller's rate limit, then the role (PERMISSION_DENIED). Keys that require
 * HMAC-signed requests sign HTTP bodies: refused here.
 */
@Injectable()
export class GrpcAuthenticator {
  constructor(
    private readonly credentials: CredentialAuthenticator,
    private readonly rateLimiter: RateLimiter,
    @Inject(GRPC_TRANSPORT_SECURITY) private readonly security: GrpcTransportSecurity | null,
  ) {}

  async authenticate(call: CallCredentialsSource, roles: readonly Role[], out: MetadataHeaders): Promise<GrpcCaller> {
    const certificate = this.security?.principalOfPeer(call) ?? null;
    const caller = certificate ? byCertificate(certificate) : await this.byMetadata(call, out);
    await this.rateLimiter.consume(caller.rateLimitKey, out);
    if (!roles.includes(caller.principal.role)) {
      throw new ForbiddenError(
        `this method requires the role ${roles.join(' or ')}; this caller is ${caller.principal.role}`,
      );
    }
    return { principal: caller.principal, stillAuthenticated: caller.stillAuthenticated };
  }

  private async byMetadata(call: CallCredentialsSource, out: MetadataHeaders) {
    const { metadata } = call;
    const authorization = metadata.get('authorization').map(String);
    const apiKey = metadata.get('x-api-key').map(String);
    const byIp = () => this.rateLimiter.consume(`ip:${peerIp(call.getPeer())}`, out);
    let presented: string | null;
    let authentication;
    try {
      presented = presentedCredential(
        { authorization: authorization[0], 'x-api-key': apiKey.length > 0 ? apiKey : undefined },
        authorization.flatMap((value) => ['authorization', value]),
      );
      authentication = presented === null ? null : await this.credentials.authenticate(presented);
    } catch (error) {
      if (error instanceof UnauthenticatedError) await byIp(); // a refused JWT; not a JWKS outage
      throw error;
    }
    if (!authentication) {
      await byIp();
      throw new UnauthenticatedError(
        presented === null
          ? 'an API key or JWT is required (metadata authorization: Bearer <credential>)'
          : 'unknown or revoked API key',
      );
    }
    if (authentication.apiKey?.requireSignature) {
      throw new UnauthenticatedError('this key requires HMAC-signed HTTP requests: use REST, or a key without');
    }
    return authentication;
  }
}

/** A verified client certificate's role as a caller (the certificate holds for its connection's life). */
function byCertificate({ role, subject }: CertificatePrincipal) {
  if (role === 'persistor') {
    throw new ForbiddenError('a persistor certificate is write-only: it may call no Control API method of v1');
  }
  const principal: Principal = {
    keyId: `cert:${role}:${subject}`,
    role: role === 'scheduler' ? 'admin' : 'prover',
    subject,
  };
  return { principal, rateLimitKey: principal.keyId, stillAuthenticated: () => Promise.resolve(true) };
}
/** "ipv4:127.0.0.1:5000", "ipv6:[::1]:5000" → the address alone. */
function peerIp(peer: string): string {
  const address = peer.replace(/^ipv[46]:/, '');
  const ip = address.startsWith('[') ? address.slice(1, address.indexOf(']')) : address.replace(/:\d+$/, '');
  return ip ? normalizeIp(ip) : 'unknown';
}
