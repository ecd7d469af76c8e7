import { credentials, status } from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { GrpcCtx } from '../../support/grpc-ctx';
import { JobsCtx } from '../../support/jobs-ctx';
import { CAPABILITIES, HARDWARE } from '../../support/prover-profile';
import { startTestApp, TestApp } from '../../support/test-app';
import { AUDIENCE, bearer, ISSUER, JwksServer, TestIdentityProvider } from '../../support/test-identity-provider';
import { TestPki } from '../../support/test-pki';

/**
 * The served gRPC port's callers, as the app itself binds it: client certificates under mTLS
 * (tls.e2e-spec.ts tests the credentials on a bare server), provers' JWTs, and the
 * dse-protocol-version metadata.
 */

const register = (grpc: GrpcCtx, proverId: string, key?: Record<string, string>) =>
  grpc.call(
    grpc.provers,
    'RegisterProver',
    { prover_id: proverId, hardware_profile: HARDWARE, capabilities: CAPABILITIES, max_concurrency: 2 },
    key,
  );

describe('gRPC under mTLS: the certificate is the caller', () => {
  const pki = TestPki.create();
  const other = TestPki.create('Another CA');
  const server = pki.issueServer();
  let t: TestApp;
  let ctx: JobsCtx;
  const clients: GrpcCtx[] = [];

  /** A client presenting this certificate (or none), trusting the test CA. */
  const withCertificate = (cert?: { cert: string; key: string }) => {
    const channel = credentials.createSsl(
      readFileSync(pki.caCert),
      cert ? readFileSync(cert.key) : null,
      cert ? readFileSync(cert.cert) : null,
    );
    const client = new GrpcCtx(t, { 'grpc.use_local_subchannel_pool': 1 }, channel);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    t = await startTestApp({
      GRPC_HOST: '127.0.0.1',
      GRPC_TLS_CERT: server.cert,
      GRPC_TLS_KEY: server.key,
      GRPC_TLS_CLIENT_CA: pki.caCert,
      SCHEDULER_ENABLED: 'false',
    });
    ctx = new JobsCtx(t);
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await t.close();
    pki.cleanup();
    other.cleanup();
  });

  it('a prover certificate acts as the prover its CN names, with no key in the metadata', async () => {
    const grpc = withCertificate(pki.issueClient('/OU=prover/CN=cert-prover-1'));
    const registered = await register(grpc, 'cert-prover-1');
    expect(registered.message).toMatchObject({ prover_id: 'cert-prover-1', state: 'active' });
    // …and only that prover.
    const f = await grpc.failure(grpc.provers, 'Heartbeat', {
      prover_id: 'cert-prover-2',
      hardware_profile: HARDWARE,
      capabilities: CAPABILITIES,
      load_factor: 0.1,
    });
    expect({ code: f.code, dse: f.dseCode }).toEqual({ code: status.PERMISSION_DENIED, dse: 'DSE-002' });
  });

  it('a scheduler certificate has full control (admin): it drains a prover', async () => {
    const prover = withCertificate(pki.issueClient('/OU=prover/CN=cert-prover-3'));
    await register(prover, 'cert-prover-3');
    const scheduler = withCertificate(pki.issueClient('/OU=scheduler/CN=scheduler-a'));
    const drained = await scheduler.call(scheduler.provers, 'Drain', { prover_id: 'cert-prover-3' });
    expect(drained.message).toMatchObject({ prover_id: 'cert-prover-3', state: 'draining' });
    // A scheduler is not a client: it submits no jobs (admin may not).
    const f = await scheduler.failure(scheduler.jobs, 'SubmitJob', { max_cost_micros: '1' });
    expect({ code: f.code, dse: f.dseCode }).toEqual({ code: status.PERMISSION_DENIED, dse: 'DSE-002' });
  });

  it('a persistor certificate is write-only: every Control API method is refused', async () => {
    const grpc = withCertificate(pki.issueClient('/OU=persistor/CN=persistor-a'));
    for (const [client, method, request] of [
      [grpc.provers, 'GetProver', { prover_id: 'cert-prover-1' }],
      [grpc.jobs, 'GetJob', { network_job_id: '1' }],
    ] as const) {
      const f = await grpc.failure(client, method, request);
      expect({ code: f.code, dse: f.dseCode, details: f.details }).toEqual({
        code: status.PERMISSION_DENIED,
        dse: 'DSE-002',
        details: expect.stringMatching(/persistor .*write-only/),
      });
    }
  });

  it('a certificate of the CA that maps to no role falls back to the API key in the metadata', async () => {
    const prover = await ctx.prover();
    const grpc = withCertificate(pki.issueClient('/OU=partners/CN=gateway'));
    expect((await register(grpc, prover.name, prover.key)).message).toMatchObject({ prover_id: prover.name });
    const f = await grpc.failure(grpc.provers, 'GetProver', { prover_id: prover.name });
    expect({ code: f.code, dse: f.dseCode }).toEqual({ code: status.UNAUTHENTICATED, dse: 'DSE-002' });
  });

  it('refuses a client without a certificate, one from another CA, and plaintext', async () => {
    const refused = [
      withCertificate(),
      withCertificate(other.issueClient('/OU=scheduler/CN=intruder')),
      new GrpcCtx(t, { 'grpc.use_local_subchannel_pool': 1 }),
    ];
    clients.push(refused[2]);
    for (const grpc of refused) {
      const f = await grpc.failure(grpc.provers, 'GetProver', { prover_id: 'cert-prover-1' }, undefined, {});
      // The handshake fails: no call reaches the server.
      expect({ code: f.code, dse: f.dseCode }).toEqual({ code: status.UNAVAILABLE, dse: undefined });
    }
  });
});

describe("gRPC: a prover's JWT, as on REST", () => {
  const idp = new TestIdentityProvider();
  const jwks = new JwksServer(idp);
  let t: TestApp;
  let grpc: GrpcCtx;

  beforeAll(async () => {
    await idp.addKey('ES256');
    await jwks.start();
    t = await startTestApp({
      AUTH_JWKS_URL: jwks.url,
      AUTH_JWT_ISSUER: ISSUER,
      AUTH_JWT_AUDIENCE: AUDIENCE,
      AUTH_JWT_CLOCK_TOLERANCE_SECONDS: '0',
      AUTH_JWKS_COOLDOWN_SECONDS: '0',
      AUTH_JWKS_TIMEOUT_MS: '1000',
      SCHEDULER_ENABLED: 'false',
    });
    grpc = new GrpcCtx(t);
  });
  afterAll(async () => {
    grpc.close();
    await t.close();
    await jwks.stop();
  });

  it('accepts a valid token for its own prover, refuses an expired one or another audience', async () => {
    const token = await idp.token('jwt-prover-1');
    expect((await register(grpc, 'jwt-prover-1', bearer(token))).message).toMatchObject({ prover_id: 'jwt-prover-1' });
    const beat = await grpc.call(
      grpc.provers,
      'Heartbeat',
      { prover_id: 'jwt-prover-1', hardware_profile: HARDWARE, capabilities: CAPABILITIES, load_factor: 0 },
      bearer(token),
    );
    expect(beat.message).toMatchObject({ accepted: true });

    for (const bad of [
      await idp.token('jwt-prover-1', { expiresIn: -10 }),
      await idp.token('jwt-prover-1', { audience: 'someone-else' }),
    ]) {
      const f = await grpc.failure(grpc.provers, 'GetProver', { prover_id: 'jwt-prover-1' }, bearer(bad));
      expect({ code: f.code, dse: f.dseCode }).toEqual({ code: status.UNAUTHENTICATED, dse: 'DSE-002' });
    }
  });

  it('answers UNAVAILABLE DSE-014 while the JWKS cannot be read, then recovers', async () => {
    const token = await idp.token('jwt-prover-2', { kid: await idp.addKey('ES256') });
    await jwks.stop();
    try {
      const f = await grpc.failure(grpc.provers, 'GetProver', { prover_id: 'jwt-prover-2' }, bearer(token));
      expect({ code: f.code, dse: f.dseCode }).toEqual({ code: status.UNAVAILABLE, dse: 'DSE-014' });
    } finally {
      await jwks.start();
    }
    expect((await register(grpc, 'jwt-prover-2', bearer(token))).message).toMatchObject({ prover_id: 'jwt-prover-2' });
  });
});

describe('gRPC: dse-protocol-version metadata', () => {
  let t: TestApp;
  let grpc: GrpcCtx;
  let ctx: JobsCtx;

  beforeAll(async () => {
    t = await startTestApp({
      PROTOCOL_VERSIONS: '1,2',
      PROTOCOL_DEPRECATED_VERSIONS: '1',
      SCHEDULER_ENABLED: 'false',
    });
    grpc = new GrpcCtx(t);
    ctx = new JobsCtx(t);
  });
  afterAll(async () => {
    grpc?.close();
    await t?.close();
  });

  const deprecatedCount = async () => {
    const text = (await t.http().get('/metrics').expect(200)).text;
    return Number(/^tally_deprecated_requests_total\{version="1"\} (\d+)$/m.exec(text)?.[1] ?? 0);
  };

  it('serves the current version without one, a deprecated one with deprecation, refuses others', async () => {
    const prover = await ctx.prover();
    await register(grpc, prover.name, prover.key);
    const get = (extra: Record<string, string>) =>
      grpc.call(grpc.provers, 'GetProver', { prover_id: prover.name }, prover.key, extra);

    const current = await get({});
    expect(current.trailer.get('dse-protocol-version')).toEqual(['2']);
    expect(current.trailer.get('deprecation')).toEqual([]);

    const before = await deprecatedCount();
    const old = await get({ 'dse-protocol-version': '1' });
    expect(old.trailer.get('dse-protocol-version')).toEqual(['1']);
    expect(old.trailer.get('deprecation')).toEqual(['true']);
    expect(await deprecatedCount()).toBe(before + 1);

    for (const version of ['3', 'v1', '1;2']) {
      const f = await grpc.failure(grpc.provers, 'GetProver', { prover_id: prover.name }, prover.key, {
        'dse-protocol-version': version,
      });
      expect({ code: f.code, dse: f.dseCode, details: f.details }).toEqual({
        code: status.INVALID_ARGUMENT,
        dse: 'DSE-001',
        details: expect.stringContaining('supported: 1, 2'),
      });
      expect(f.metadata.get('dse-protocol-version')).toEqual(['2']);
    }
  });
});
