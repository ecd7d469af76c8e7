import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK, SignJWT, type CryptoKey } from 'jose';

export const ISSUER = 'https://id.test.example';
export const AUDIENCE = 'tally-test';

interface SigningKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export interface TokenOptions {
  kid?: string;
  claims?: Record<string, unknown>;
  /** Header fields to set or override (alg, kid, typ…). */
  header?: Record<string, unknown>;
  /** Seconds from now; a negative value makes an expired token. */
  expiresIn?: number;
  notBefore?: number;
  issuer?: string;
  audience?: string | string[];
  subject?: string;
}

/**
 * A stand-in identity provider for tests: it holds signing keys, publishes the public ones as
 * a JWKS (what it publishes is up to the test: a key can be signed with and not published),
 * and issues tokens with jose.
 */
export class TestIdentityProvider {
  private readonly keys = new Map<string, SigningKey>();
  private published = new Set<string>();

  async addKey(alg = 'ES256', kid = `k-${randomUUID().slice(0, 8)}`): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
    this.keys.set(kid, { kid, alg, privateKey, publicJwk });
    this.published.add(kid);
    return kid;
  }

  /** Takes a key out of the JWKS (revocation); it can still sign, as a leaked key would. */
  unpublish(kid: string): void {
    this.published.delete(kid);
  }

  jwks(): { keys: JWK[] } {
    return { keys: [...this.published].map((kid) => this.keys.get(kid)!.publicJwk) };
  }

  /** A prover's token: role prover, the test issuer and audience, valid for 5 minutes unless told otherwise. */
  async token(prover: string, options: TokenOptions = {}): Promise<string> {
    const kid = options.kid ?? [...this.published][0];
    const key = this.keys.get(kid);
    if (!key) throw new Error(`no key ${kid}`);
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT({ role: 'prover', ...options.claims })
      .setProtectedHeader({ alg: key.alg, kid, typ: 'JWT', ...options.header })
      .setIssuer(options.issuer ?? ISSUER)
      .setAudience(options.audience ?? AUDIENCE)
      .setSubject(options.subject ?? prover)
      .setIssuedAt(now)
      .setJti(randomUUID())
      .setExpirationTime(now + (options.expiresIn ?? 300));
    if (options.notBefore !== undefined) jwt.setNotBefore(now + options.notBefore);
    return jwt.sign(key.privateKey);
  }
}

/** Serves an identity provider's JWKS over HTTP on a loopback port, counting the fetches. */
export class JwksServer {
  fetches = 0;
  private server: Server | undefined;
  private port = 0;

  constructor(private readonly idp: TestIdentityProvider) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/.well-known/jwks.json`;
  }

  /** Starts serving; on the port it had before when restarted. */
  async start(): Promise<void> {
    const server = createServer((req, res) => {
      if (req.url !== '/.well-known/jwks.json') return void res.writeHead(404).end();
      this.fetches++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(this.idp.jwks()));
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export const bearer = (token: string): Record<string, string> => ({ Authorization: `Bearer ${token}` });
