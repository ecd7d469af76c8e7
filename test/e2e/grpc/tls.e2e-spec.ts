import * as grpc from '@grpc/grpc-js';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { InvalidEnvironmentError } from '@tally/shared';
import {
  type CertificatePrincipal,
  grpcServerCredentials,
  type GrpcTlsConfig,
  type GrpcTransportSecurity,
  reloadOnSighup,
} from '../../../apps/api/src/grpc/tls';
import { type IssuedCertificate, TestPki } from '../../support/test-pki';

/** A test-only service: one method answering the principal the server sees for the call. */
const WHO_AM_I = '/tally.test.v1.Peer/WhoAmI';
const bytes = (b: Buffer) => b;
const PEER_SERVICE: grpc.ServiceDefinition = {
  whoAmI: {
    path: WHO_AM_I,
    requestStream: false,
    responseStream: false,
    requestSerialize: bytes,
    requestDeserialize: bytes,
    responseSerialize: bytes,
    responseDeserialize: bytes,
  },
};

interface RunningServer {
  port: number;
  security: GrpcTransportSecurity;
  /** Calls that reached the handler. */
  served(): number;
  stop(): void;
}

async function startServer(config: GrpcTlsConfig): Promise<RunningServer> {
  const security = grpcServerCredentials(config);
  const server = new grpc.Server();
  let served = 0;
  server.addService(PEER_SERVICE, {
    whoAmI: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      served++;
      callback(null, Buffer.from(JSON.stringify({ principal: security.principalOfPeer(call) })));
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(security.bindAddress(0), security.credentials, (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return { port, security, served: () => served, stop: () => server.forceShutdown() };
}

function whoAmI(port: number, credentials: grpc.ChannelCredentials): Promise<CertificatePrincipal | null> {
  // A subchannel of its own: a connection from an earlier call must not answer for this one.
  const client = new grpc.Client(`localhost:${port}`, credentials, { 'grpc.use_local_subchannel_pool': 1 });
  return new Promise<CertificatePrincipal | null>((resolve, reject) => {
    client.makeUnaryRequest(
      WHO_AM_I,
      bytes,
      bytes,
      Buffer.alloc(0),
      { deadline: Date.now() + 10_000 },
      (error, answer) => (error ? reject(error) : resolve(JSON.parse(answer!.toString()).principal)),
    );
  }).finally(() => client.close());
}

/** A raw TLS handshake: the negotiated protocol, or the error the server's alert caused. */
function handshake(port: number, options: ConnectionOptions): Promise<string | null> {
  return tlsConnection(port, options, (socket) => socket.getProtocol());
}

/** The serial number of the certificate the server presents. */
function serverSerial(port: number, ca: Buffer): Promise<string> {
  return tlsConnection(port, { ca }, (socket) => socket.getPeerCertificate().serialNumber);
}

function tlsConnection<T>(port: number, options: ConnectionOptions, read: (socket: TLSSocket) => T): Promise<T> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ALPNProtocols: ['h2'], ...options });
    socket.once('secureConnect', () => {
      resolve(read(socket));
      socket.destroy();
    });
    socket.once('error', (error) => {
      reject(error);
      socket.destroy();
    });
  });
}

const refused = { code: grpc.status.UNAVAILABLE };

describe('gRPC transport security', () => {
  let pki: TestPki;
  let otherPki: TestPki;
  let server: IssuedCertificate;
  let ca: Buffer;
  const clientCredentials = (client: IssuedCertificate, authority = pki) =>
    grpc.credentials.createSsl(ca, authority.read(client.key), authority.read(client.cert));

  beforeAll(() => {
    pki = TestPki.create();
    otherPki = TestPki.create('Another CA');
    server = pki.issueServer();
    ca = pki.read(pki.caCert);
  });
  afterAll(() => {
    pki.cleanup();
    otherPki.cleanup();
  });

  describe('mTLS (GRPC_TLS_CLIENT_CA set)', () => {
    let mtls: RunningServer;
    beforeAll(async () => {
      mtls = await startServer({
        GRPC_HOST: '127.0.0.1',
        GRPC_TLS_CERT: server.cert,
        GRPC_TLS_KEY: server.key,
        GRPC_TLS_CLIENT_CA: pki.caCert,
      });
    });
    afterAll(() => mtls.stop());

    it('says so at start', () => {
      expect(mtls.security).toMatchObject({ mode: 'mtls', host: '127.0.0.1', loopbackOnly: false });
      expect(mtls.security.summary).toMatch(/TLS 1\.3 with client certificates required/);
    });

    it.each([
      ['/OU=scheduler/CN=scheduler-1', { role: 'scheduler', subject: 'scheduler-1' }],
      ['/OU=persistor/CN=persistor.internal', { role: 'persistor', subject: 'persistor.internal' }],
      ['/O=Provers Inc/OU=prover/CN=prover-eu:7', { role: 'prover', subject: 'prover-eu:7' }],
    ])('a client certificate %s connects and has its role', async (subject, principal) => {
      await expect(whoAmI(mtls.port, clientCredentials(pki.issueClient(subject)))).resolves.toEqual(principal);
    });

    it('a certificate whose subject maps to no role connects without a principal', async () => {
      const before = mtls.served();
      await expect(whoAmI(mtls.port, clientCredentials(pki.issueClient('/OU=auditor/CN=a-1')))).resolves.toBeNull();
      await expect(
        whoAmI(mtls.port, clientCredentials(pki.issueClient('/OU=prover/CN=not an id'))),
      ).resolves.toBeNull();
      expect(mtls.served()).toBe(before + 2);
    });

    it('refuses a client without a certificate', async () => {
      const before = mtls.served();
      await expect(whoAmI(mtls.port, grpc.credentials.createSsl(ca))).rejects.toMatchObject(refused);
      expect(mtls.served()).toBe(before);
    });

    it('refuses a certificate from another CA, whatever its subject', async () => {
      const before = mtls.served();
      const stranger = otherPki.issueClient('/OU=scheduler/CN=scheduler-1');
      await expect(whoAmI(mtls.port, clientCredentials(stranger, otherPki))).rejects.toMatchObject(refused);
      expect(mtls.served()).toBe(before);
    });

    it('refuses a plaintext client', async () => {
      const before = mtls.served();
      await expect(whoAmI(mtls.port, grpc.credentials.createInsecure())).rejects.toMatchObject(refused);
      expect(mtls.served()).toBe(before);
    });

    it('negotiates TLS 1.3 and refuses a TLS 1.2 client', async () => {
      const client = pki.issueClient('/OU=scheduler/CN=scheduler-1');
      const tlsOptions = { ca, cert: pki.read(client.cert), key: pki.read(client.key) };
      await expect(handshake(mtls.port, tlsOptions)).resolves.toBe('TLSv1.3');
      await expect(handshake(mtls.port, { ...tlsOptions, maxVersion: 'TLSv1.2' })).rejects.toMatchObject({
        code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
      });
    });
  });

  describe('GRPC_TLS_ROLE_MAP', () => {
    let mapped: RunningServer;
    beforeAll(async () => {
      mapped = await startServer({
        GRPC_HOST: '127.0.0.1',
        GRPC_TLS_CERT: server.cert,
        GRPC_TLS_KEY: server.key,
        GRPC_TLS_CLIENT_CA: pki.caCert,
        GRPC_TLS_ROLE_MAP: 'CN=sched-eu-1:scheduler, O=Acme Provers:prover, OU=ingest:persistor',
      });
    });
    afterAll(() => mapped.stop());

    it.each([
      ['/OU=ops/CN=sched-eu-1', { role: 'scheduler', subject: 'sched-eu-1' }],
      ['/O=Acme Provers/CN=p-42', { role: 'prover', subject: 'p-42' }],
      ['/O=Acme/OU=ingest/CN=persistor-2', { role: 'persistor', subject: 'persistor-2' }],
    ])('maps %s by the configured entries', async (subject, principal) => {
      await expect(whoAmI(mapped.port, clientCredentials(pki.issueClient(subject)))).resolves.toEqual(principal);
    });

    it('replaces the OU convention, and a subject two entries give different roles has none', async () => {
      await expect(whoAmI(mapped.port, clientCredentials(pki.issueClient('/OU=scheduler/CN=s-2')))).resolves.toBeNull();
      const both = pki.issueClient('/O=Acme Provers/OU=ingest/CN=p-43');
      await expect(whoAmI(mapped.port, clientCredentials(both))).resolves.toBeNull();
    });
  });

  describe('revocation (GRPC_TLS_CLIENT_CRL) and reload', () => {
    let crlServer: RunningServer;
    let config: Required<Pick<GrpcTlsConfig, 'GRPC_TLS_CERT' | 'GRPC_TLS_KEY' | 'GRPC_TLS_CLIENT_CRL'>>;
    let revoked: IssuedCertificate;
    let later: IssuedCertificate;
    let kept: IssuedCertificate;
    beforeAll(async () => {
      [revoked, later, kept] = ['/OU=prover/CN=p-1', '/OU=prover/CN=p-2', '/OU=prover/CN=p-3'].map((subject) =>
        pki.issueClient(subject),
      );
      pki.revoke(revoked);
      // Files of the server's own, so the test can replace them under it.
      config = {
        GRPC_TLS_CERT: join(pki.dir, 'live-server.crt'),
        GRPC_TLS_KEY: join(pki.dir, 'live-server.key'),
        GRPC_TLS_CLIENT_CRL: join(pki.dir, 'live.crl'),
      };
      copyFileSync(server.cert, config.GRPC_TLS_CERT);
      copyFileSync(server.key, config.GRPC_TLS_KEY);
      copyFileSync(pki.crl(), config.GRPC_TLS_CLIENT_CRL);
      crlServer = await startServer({ ...config, GRPC_HOST: '127.0.0.1', GRPC_TLS_CLIENT_CA: pki.caCert });
    });
    afterAll(() => crlServer.stop());

    it('refuses a revoked certificate and serves the others', async () => {
      const before = crlServer.served();
      await expect(whoAmI(crlServer.port, clientCredentials(revoked))).rejects.toMatchObject(refused);
      expect(crlServer.served()).toBe(before);
      await expect(whoAmI(crlServer.port, clientCredentials(later))).resolves.toEqual({
        role: 'prover',
        subject: 'p-2',
      });
    });

    it('reload() takes a new CRL and a rotated server certificate for new connections', async () => {
      const rotated = pki.issueServer();
      pki.revoke(later);
      copyFileSync(pki.crl(), config.GRPC_TLS_CLIENT_CRL);
      copyFileSync(rotated.cert, config.GRPC_TLS_CERT);
      copyFileSync(rotated.key, config.GRPC_TLS_KEY);
      const tlsOptions = { ca, cert: pki.read(kept.cert), key: pki.read(kept.key) };
      const serialOf = (path: string) => new X509Certificate(pki.read(path)).serialNumber;
      expect(await serverSerial(crlServer.port, tlsOptions.ca)).toBe(serialOf(server.cert));

      crlServer.security.reload();

      expect(await serverSerial(crlServer.port, tlsOptions.ca)).toBe(serialOf(rotated.cert));
      await expect(whoAmI(crlServer.port, clientCredentials(later))).rejects.toMatchObject(refused);
      await expect(whoAmI(crlServer.port, clientCredentials(kept))).resolves.toEqual({
        role: 'prover',
        subject: 'p-3',
      });
      await expect(handshake(crlServer.port, { ...tlsOptions, maxVersion: 'TLSv1.2' })).rejects.toMatchObject({
        code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
      });
    });

    it('a reload with a bad file throws, naming it, and keeps serving the files it had', async () => {
      const serving = await serverSerial(crlServer.port, ca);
      copyFileSync(pki.issueClient('/CN=other').key, config.GRPC_TLS_KEY);
      expect(() => crlServer.security.reload()).toThrow(/^ {2}GRPC_TLS_KEY: is not the private key/m);
      expect(await serverSerial(crlServer.port, ca)).toBe(serving);
      await expect(whoAmI(crlServer.port, clientCredentials(kept))).resolves.toEqual({
        role: 'prover',
        subject: 'p-3',
      });
    });

    it('SIGHUP reloads, and logs a refused reload', async () => {
      const messages: string[] = [];
      const stop = reloadOnSighup(crlServer.security, {
        log: (m) => messages.push(`log ${m}`),
        error: (m) => messages.push(`error ${m}`),
      });
      try {
        copyFileSync(pki.issueClient('/CN=another').key, config.GRPC_TLS_KEY);
        process.emit('SIGHUP', 'SIGHUP');
        expect(messages).toEqual([expect.stringMatching(/^error gRPC: TLS reload .*refused[\s\S]*GRPC_TLS_KEY: /)]);
        const rotated = pki.issueServer();
        copyFileSync(rotated.cert, config.GRPC_TLS_CERT);
        copyFileSync(rotated.key, config.GRPC_TLS_KEY);
        process.emit('SIGHUP', 'SIGHUP');
        expect(messages[1]).toMatch(/^log gRPC: TLS files reloaded/);
        expect(await serverSerial(crlServer.port, ca)).toBe(new X509Certificate(pki.read(rotated.cert)).serialNumber);
      } finally {
        stop();
      }
      expect(process.listenerCount('SIGHUP')).toBe(0);
    });
  });

  describe('TLS without client certificates', () => {
    let tls: RunningServer;
    beforeAll(async () => {
      tls = await startServer({ GRPC_HOST: '127.0.0.1', GRPC_TLS_CERT: server.cert, GRPC_TLS_KEY: server.key });
    });
    afterAll(() => tls.stop());

    it('serves a TLS client, and no certificate gives a role', async () => {
      expect(tls.security).toMatchObject({ mode: 'tls', loopbackOnly: false });
      await expect(whoAmI(tls.port, grpc.credentials.createSsl(ca))).resolves.toBeNull();
      const client = pki.issueClient('/OU=scheduler/CN=scheduler-1');
      await expect(whoAmI(tls.port, clientCredentials(client))).resolves.toBeNull();
    });

    it('refuses a plaintext client and a TLS 1.2 client', async () => {
      const before = tls.served();
      await expect(whoAmI(tls.port, grpc.credentials.createInsecure())).rejects.toMatchObject(refused);
      expect(tls.served()).toBe(before);
      await expect(handshake(tls.port, { ca })).resolves.toBe('TLSv1.3');
      await expect(handshake(tls.port, { ca, maxVersion: 'TLSv1.2' })).rejects.toMatchObject({
        code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
      });
    });
  });

  describe('plaintext (no TLS settings)', () => {
    it('binds loopback only and says so', async () => {
      const plain = await startServer({});
      try {
        expect(plain.security).toMatchObject({ mode: 'plaintext', host: '127.0.0.1', loopbackOnly: true });
        expect(plain.security.summary).toMatch(/plaintext .*loopback 127\.0\.0\.1 only/);
        await expect(whoAmI(plain.port, grpc.credentials.createInsecure())).resolves.toBeNull();
        await expect(whoAmI(plain.port, grpc.credentials.createSsl(ca))).rejects.toMatchObject(refused);
      } finally {
        plain.stop();
      }
    });

    it('keeps a loopback GRPC_HOST and overrides any other', () => {
      const ipv6 = grpcServerCredentials({ GRPC_HOST: '::1' });
      expect(ipv6.host).toBe('::1');
      expect(ipv6.bindAddress(50051)).toBe('[::1]:50051');
      expect(grpcServerCredentials({ GRPC_HOST: '[::1]' }).bindAddress(0)).toBe('[::1]:0');
      expect(grpcServerCredentials({ GRPC_HOST: 'localhost' }).host).toBe('localhost');
      const open = grpcServerCredentials({ GRPC_HOST: '0.0.0.0' });
      expect(open).toMatchObject({ host: '127.0.0.1', loopbackOnly: true });
      expect(open.summary).toContain('GRPC_HOST=0.0.0.0 is ignored without TLS');
    });
  });

  describe('a bad configuration fails at start, naming the variable', () => {
    const errorOf = (config: GrpcTlsConfig): string => {
      try {
        grpcServerCredentials(config);
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidEnvironmentError);
        return (error as Error).message;
      }
      throw new Error('expected grpcServerCredentials to throw');
    };

    it.each<[string, () => GrpcTlsConfig, string, RegExp]>([
      ['a certificate without its key', () => ({ GRPC_TLS_CERT: server.cert }), 'GRPC_TLS_KEY', /must be set/],
      ['a key without its certificate', () => ({ GRPC_TLS_KEY: server.key }), 'GRPC_TLS_CERT', /must be set/],
      [
        'a client CA without TLS',
        () => ({ GRPC_TLS_CLIENT_CA: pki.caCert }),
        'GRPC_TLS_CLIENT_CA',
        /needs GRPC_TLS_CERT/,
      ],
      [
        'a role map without a client CA',
        () => ({ GRPC_TLS_CERT: server.cert, GRPC_TLS_KEY: server.key, GRPC_TLS_ROLE_MAP: 'OU=a:prover' }),
        'GRPC_TLS_ROLE_MAP',
        /needs GRPC_TLS_CLIENT_CA/,
      ],
      [
        'a role map that does not parse',
        () => ({ ...tlsFiles(), GRPC_TLS_CLIENT_CA: pki.caCert, GRPC_TLS_ROLE_MAP: 'OU=ops:admin' }),
        'GRPC_TLS_ROLE_MAP',
        /role must be one of scheduler, persistor, prover/,
      ],
      [
        'a CRL without a client CA',
        () => ({ ...tlsFiles(), GRPC_TLS_CLIENT_CRL: pki.crl() }),
        'GRPC_TLS_CLIENT_CRL',
        /needs GRPC_TLS_CLIENT_CA/,
      ],
      [
        'a CRL file holding a certificate',
        () => ({ ...tlsFiles(), GRPC_TLS_CLIENT_CA: pki.caCert, GRPC_TLS_CLIENT_CRL: pki.caCert }),
        'GRPC_TLS_CLIENT_CRL',
        /holds no PEM CRL/,
      ],
      [
        'an unreadable certificate file',
        () => ({ GRPC_TLS_CERT: join(pki.dir, 'missing.crt'), GRPC_TLS_KEY: server.key }),
        'GRPC_TLS_CERT',
        /cannot read .*missing\.crt \(ENOENT\)/,
      ],
      [
        'a key that is not the certificate’s',
        () => ({ GRPC_TLS_CERT: server.cert, GRPC_TLS_KEY: pki.issueClient('/CN=x').key }),
        'GRPC_TLS_KEY',
        /is not the private key of the certificate/,
      ],
      [
        'a key file in place of the certificate',
        () => ({ GRPC_TLS_CERT: server.key, GRPC_TLS_KEY: server.key }),
        'GRPC_TLS_CERT',
        /holds no PEM certificate/,
      ],
      [
        'a certificate file in place of the key',
        () => ({ GRPC_TLS_CERT: server.cert, GRPC_TLS_KEY: server.cert }),
        'GRPC_TLS_KEY',
        /is not an unencrypted PEM private key/,
      ],
      [
        'a client CA file holding a leaf certificate',
        () => ({ ...tlsFiles(), GRPC_TLS_CLIENT_CA: server.cert }),
        'GRPC_TLS_CLIENT_CA',
        /is not a CA certificate/,
      ],
      [
        'a client CA file holding garbage',
        () => ({ ...tlsFiles(), GRPC_TLS_CLIENT_CA: garbage() }),
        'GRPC_TLS_CLIENT_CA',
        /holds no PEM certificate/,
      ],
    ])('%s', (_, config, variable, message) => {
      const text = errorOf(config());
      expect(text).toMatch(/^Invalid environment:/);
      expect(text).toMatch(new RegExp(`^  ${variable}: .*${message.source}`, 'm'));
    });

    it('names every wrong variable at once', () => {
      const text = errorOf({ GRPC_TLS_CERT: join(pki.dir, 'none.crt'), GRPC_TLS_KEY: join(pki.dir, 'none.key') });
      expect(text).toMatch(/^ {2}GRPC_TLS_CERT: cannot read/m);
      expect(text).toMatch(/^ {2}GRPC_TLS_KEY: cannot read/m);
    });

    const tlsFiles = () => ({ GRPC_TLS_CERT: server.cert, GRPC_TLS_KEY: server.key });
    const garbage = () => {
      const path = join(pki.dir, 'garbage.pem');
      writeFileSync(path, 'not a certificate\n');
      return path;
    };
  });
});
