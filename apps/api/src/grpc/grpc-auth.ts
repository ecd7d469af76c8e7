import { Injectable } from '@nestjs/common';
import type { ServerUnaryCall } from '@grpc/grpc-js';

/** What authentication reads of a call, unary or streaming. */
export type CallCredentialsSource = Pick<ServerUnaryCall<unknown, unknown>, 'metadata' | 'getPeer' | 'getAuthContext'>;
import { normalizeIp } from '@nestjs/throttler';
import { ApiKeyAuthenticator, presentedApiKey, type Principal, RateLimiter, type Role } from '@tally/auth';
import { ForbiddenError, UnauthenticatedError } from '@tally/shared';

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
 * The one adapter between gRPC calls and authentication: the `authorization: Bearer <key>`
 * (or `x-api-key`) metadata is checked as the HTTP guard checks its headers, with the same
 * keys, roles and rate limit, in the same order: the key (missing, unknown or revoked:
 * UNAUTHENTICATED, counted against the peer's address), the key's rate limit, the role
 * (PERMISSION_DENIED). Keys that require HMAC-signed requests sign HTTP bodies: refused here.
 */
@Injectable()
export class GrpcAuthenticator {
  constructor(
    private readonly authenticator: ApiKeyAuthenticator,
    private readonly rateLimiter: RateLimiter,
  ) {}

  /** The call's caller, from its metadata (a certificate-aware version reads `call.getAuthContext()` too). */
  async authenticate(call: CallCredentialsSource, roles: readonly Role[], out: MetadataHeaders) {
    const { metadata } = call;
    const peer = call.getPeer();
    const authorization = metadata.get('authorization').map(String);
    const apiKey = metadata.get('x-api-key').map(String);
    const byIp = () => this.rateLimiter.consume(`ip:${peerIp(peer)}`, out);
    let presented: string | null;
    try {
      presented = presentedApiKey(
        { authorization: authorization[0], 'x-api-key': apiKey.length > 0 ? apiKey : undefined },
        authorization.flatMap((value) => ['authorization', value]),
      );
    } catch (error) {
      await byIp();
      throw error;
    }
    const key = presented === null ? null : await this.authenticator.authenticate(presented);
    if (!key) {
      await byIp();
      throw new UnauthenticatedError(
        presented === null
          ? 'an API key is required (metadata authorization: Bearer <key>)'
          : 'unknown or revoked API key',
      );
    }
    await this.rateLimiter.consume(`key:${key.id}`, out);
    if (key.requireSignature) {
      throw new UnauthenticatedError('this key requires HMAC-signed HTTP requests: use REST, or a key without');
    }
    if (!roles.includes(key.role)) {
      throw new ForbiddenError(`this method requires the role ${roles.join(' or ')}; this key is ${key.role}`);
    }
    const secret = presented as string; // a key was found, so one was presented
    const caller: GrpcCaller = {
      principal: { keyId: key.id, role: key.role, subject: key.subject },
      stillAuthenticated: async () => (await this.authenticator.authenticate(secret))?.id === key.id,
    };
    return caller;
  }
}

/** "ipv4:127.0.0.1:5000", "ipv6:[::1]:5000" → the address alone. */
function peerIp(peer: string): string {
  const address = peer.replace(/^ipv[46]:/, '');
  const ip = address.startsWith('[') ? address.slice(1, address.indexOf(']')) : address.replace(/:\d+$/, '');
  return ip ? normalizeIp(ip) : 'unknown';
}
