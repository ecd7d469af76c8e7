import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { SecureServerOptions } from 'node:http2';
import { isIPv6 } from 'node:net';
import { createSecureContext, type PeerCertificate, type SecureContextOptions } from 'node:tls';
import { ServerCredentials } from '@grpc/grpc-js';
import { InvalidEnvironmentError } from '@tally/shared';
import {
  type CertificatePrincipal,
  parseRoleMap,
  principalOfCertificate,
  RoleMapError,
  type RoleMapEntry,
} from './certificate-roles';

/** The settings this module reads (a TallyEnv has them). */
export interface GrpcTlsConfig {
  GRPC_HOST?: string;
  GRPC_TLS_CERT?: string;
  GRPC_TLS_KEY?: string;
  GRPC_TLS_CLIENT_CA?: string;
  GRPC_TLS_CLIENT_CRL?: string;
  GRPC_TLS_ROLE_MAP?: string;
}

/** What a server call offers (every grpc-js server call and interceptor call has it). */
export interface PeerCall {
  getAuthContext(): { sslPeerCertificate?: PeerCertificate };
}

export type GrpcTransportMode = 'plaintext' | 'tls' | 'mtls';

/** How the gRPC port is secured, and what the server needs to bind it and to know its callers. */
export interface GrpcTransportSecurity {
  mode: GrpcTransportMode;
  credentials: ServerCredentials;
  /** The address to bind: GRPC_HOST (default 0.0.0.0) with TLS; always a loopback address in plaintext. */
  host: string;
  /** The address for grpc-js's bindAsync: `host:port`, an IPv6 host in brackets. */
  bindAddress(port: number): string;
  /** Plaintext: the port must never be reachable from another host. */
  loopbackOnly: boolean;
  /** One line for the start log saying what the port accepts (log it as a warning when plaintext). */
  summary: string;
  /** The role and subject of the call's verified client certificate; null without mTLS or without a mapped role. */
  principalOfPeer(call: PeerCall): CertificatePrincipal | null;
  /**
   * Reads the certificate, key, CA and CRL files again, checked as at start, and serves new
   * connections with them (rotation, a new CRL); open connections keep theirs. On a bad file it
   * throws the same InvalidEnvironmentError as at start and keeps serving the old ones.
   * Plaintext: nothing to do.
   */
  reload(): void;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\])$/;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const PEM_CRL = /-----BEGIN X509 CRL-----[\s\S]+?-----END X509 CRL-----/;

/**
 * The gRPC server's transport security, from the environment, checked whole at start:
 * - GRPC_TLS_CERT and GRPC_TLS_KEY (PEM files): TLS, never below TLS 1.3;
 * - with GRPC_TLS_CLIENT_CA as well: mTLS, a client certificate signed by that CA (and not
 *   revoked by GRPC_TLS_CLIENT_CRL) is required, and GRPC_TLS_ROLE_MAP maps its subject to a role;
 * - none of them: plaintext, bound to loopback only.
 * Anything else (half a pair, an unreadable file, a key that is not the certificate's, a CA
 * without TLS) throws an InvalidEnvironmentError naming each wrong variable.
 */
export function grpcServerCredentials(config: GrpcTlsConfig): GrpcTransportSecurity {
  const { GRPC_TLS_CERT: certPath, GRPC_TLS_KEY: keyPath, GRPC_TLS_CLIENT_CA: caPath } = config;
  const problems = new Problems();
  if (certPath && !keyPath) problems.add('GRPC_TLS_KEY', 'must be set with GRPC_TLS_CERT');
  if (keyPath && !certPath) problems.add('GRPC_TLS_CERT', 'must be set with GRPC_TLS_KEY');
  if (caPath && !(certPath && keyPath)) {
    problems.add('GRPC_TLS_CLIENT_CA', 'needs GRPC_TLS_CERT and GRPC_TLS_KEY (mTLS runs over TLS)');
  }
  for (const variable of ['GRPC_TLS_CLIENT_CRL', 'GRPC_TLS_ROLE_MAP'] as const) {
    if (config[variable] && !caPath) {
      problems.add(variable, 'applies to client certificates: it needs GRPC_TLS_CLIENT_CA');
    }
  }
  let roleMap: RoleMapEntry[] = [];
  try {
    roleMap = parseRoleMap(config.GRPC_TLS_ROLE_MAP);
  } catch (error) {
    if (!(error instanceof RoleMapError)) throw error;
    problems.add('GRPC_TLS_ROLE_MAP', error.message);
  }
  problems.throwIfAny();

  if (!certPath || !keyPath) return plaintext(config.GRPC_HOST);

  const mutual = Boolean(caPath);
  // A client certificate is requested and must verify only under mTLS; these are the http2
  // server's own options, fixed for its life, while the files make its secure context.
  const serverOptions: SecureServerOptions = { requestCert: mutual, rejectUnauthorized: mutual };
  const credentials = new Tls13ServerCredentials(serverOptions, loadContext(config));
  const host = config.GRPC_HOST ?? '0.0.0.0';
  return {
    mode: mutual ? 'mtls' : 'tls',
    credentials,
    host,
    bindAddress: (port) => addressOf(host, port),
    loopbackOnly: false,
    summary: mutual
      ? `gRPC: TLS 1.3 with client certificates required (mTLS, roles by GRPC_TLS_ROLE_MAP) on ${host}`
      : `gRPC: TLS 1.3 on ${host}; no client certificates (GRPC_TLS_CLIENT_CA unset)`,
    principalOfPeer: (call) =>
      mutual ? principalOfCertificate(call.getAuthContext().sslPeerCertificate, roleMap) : null,
    reload: () => credentials.replace(loadContext(config)),
  };
}

function plaintext(requestedHost: string | undefined): GrpcTransportSecurity {
  const loopback = requestedHost !== undefined && LOOPBACK.test(requestedHost);
  const host = loopback ? requestedHost.replace(/^\[(.*)\]$/, '$1') : '127.0.0.1';
  const ignored = requestedHost && !loopback ? `; GRPC_HOST=${requestedHost} is ignored without TLS` : '';
  return {
    mode: 'plaintext',
    credentials: ServerCredentials.createInsecure(),
    host,
    bindAddress: (port) => addressOf(host, port),
    loopbackOnly: true,
    summary: `gRPC: plaintext (GRPC_TLS_CERT and GRPC_TLS_KEY unset), bound to loopback ${host} only${ignored}`,
    principalOfPeer: () => null,
    reload: () => undefined,
  };
}

function addressOf(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * ServerCredentials that hand their options to the http2 secure server as given: grpc-js's
 * createSsl sets no TLS version. The secure context's options carry minVersion, because the
 * server applies them alone again on each replace().
 */
class Tls13ServerCredentials extends ServerCredentials {
  _equals(other: ServerCredentials): boolean {
    return other === this;
  }
  replace(contextOptions: SecureContextOptions): void {
    this.updateSecureContextOptions(contextOptions);
  }
}

/** The secure context's options from the files, each checked; throws naming every bad one. */
function loadContext(config: GrpcTlsConfig): SecureContextOptions {
  const problems = new Problems();
  const cert = readPem(problems, 'GRPC_TLS_CERT', config.GRPC_TLS_CERT!);
  const key = readPem(problems, 'GRPC_TLS_KEY', config.GRPC_TLS_KEY!);
  const ca = config.GRPC_TLS_CLIENT_CA ? readPem(problems, 'GRPC_TLS_CLIENT_CA', config.GRPC_TLS_CLIENT_CA) : undefined;
  const crl = config.GRPC_TLS_CLIENT_CRL
    ? readPem(problems, 'GRPC_TLS_CLIENT_CRL', config.GRPC_TLS_CLIENT_CRL)
    : undefined;
  const leaf = cert && parseCertificates(problems, 'GRPC_TLS_CERT', cert)[0];
  const privateKey = key && parsePrivateKey(problems, key);
  if (leaf && privateKey && !leaf.checkPrivateKey(privateKey)) {
    problems.add('GRPC_TLS_KEY', `is not the private key of the certificate in GRPC_TLS_CERT (${leaf.subject})`);
  }
  if (ca) {
    for (const authority of parseCertificates(problems, 'GRPC_TLS_CLIENT_CA', ca)) {
      if (!authority.ca) problems.add('GRPC_TLS_CLIENT_CA', `${authority.subject} is not a CA certificate`);
    }
  }
  if (crl && !PEM_CRL.test(crl.toString('utf8'))) {
    problems.add('GRPC_TLS_CLIENT_CRL', 'holds no PEM CRL (-----BEGIN X509 CRL-----)');
  }
  problems.throwIfAny();
  const options: SecureContextOptions = { cert, key, ca, crl, minVersion: 'TLSv1.3' };
  // What the checks above do not see (a CRL that does not parse, a key type TLS cannot use) fails here, not on the first client.
  try {
    createSecureContext(options);
  } catch (error) {
    problems.add(crl ? 'GRPC_TLS_CLIENT_CRL' : 'GRPC_TLS_CERT', `makes no TLS context: ${(error as Error).message}`);
  }
  problems.throwIfAny();
  return options;
}

/** The wrong variables found so far, thrown together in validateEnv's format. */
class Problems {
  private readonly lines: string[] = [];
  add(variable: string, message: string): void {
    this.lines.push(`  ${variable}: ${message}`);
  }
  throwIfAny(): void {
    if (this.lines.length > 0) throw new InvalidEnvironmentError(`Invalid environment:\n${this.lines.join('\n')}`);
  }
}

function readPem(problems: Problems, variable: string, path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (error) {
    problems.add(
      variable,
      `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
    return undefined;
  }
}

/** Every PEM certificate in the file (a chain or a CA bundle); at least one. */
function parseCertificates(problems: Problems, variable: string, pem: Buffer): X509Certificate[] {
  const blocks = pem.toString('utf8').match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) {
    problems.add(variable, 'holds no PEM certificate (-----BEGIN CERTIFICATE-----)');
    return [];
  }
  try {
    return blocks.map((block) => new X509Certificate(block));
  } catch (error) {
    problems.add(variable, `holds a certificate that does not parse: ${(error as Error).message}`);
    return [];
  }
}

function parsePrivateKey(problems: Problems, pem: Buffer): KeyObject | undefined {
  try {
    return createPrivateKey(pem);
  } catch (error) {
    problems.add('GRPC_TLS_KEY', `is not an unencrypted PEM private key: ${(error as Error).message}`);
    return undefined;
  }
}
