import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { ProversCtx } from '../support/provers-ctx';
import { startTestApp, TestApp } from '../support/test-app';
import { AUDIENCE, bearer, ISSUER, JwksServer, TestIdentityProvider } from '../support/test-identity-provider';

const PROBLEM = /^application\/problem\+json/;
/** The JWKS is kept this long (seconds): a removed kid stops verifying within it. */
const TTL_SECONDS = 1;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A JWT-configured app on a JWKS source; no cooldown, so an unknown kid is read at once. */
function jwtEnv(source: { AUTH_JWKS_URL: string } | { AUTH_JWKS_FILE: string }): Record<string, string> {
  return {
    ...source,
    AUTH_JWT_ISSUER: ISSUER,
    AUTH_JWT_AUDIENCE: `other-audience,${AUDIENCE}`,
    AUTH_JWT_CLOCK_TOLERANCE_SECONDS: '0',
    AUTH_JWKS_CACHE_TTL_SECONDS: String(TTL_SECONDS),
    AUTH_JWKS_COOLDOWN_SECONDS: '0',
    AUTH_JWKS_TIMEOUT_MS: '1000',
    SCHEDULER_ENABLED: 'false',
    // Long polls re-check their credential once a second (a third of the liveness TTL).
    PROVER_LIVENESS_TTL_MS: '3000',
  };
}

function whoami(t: TestApp, token: string) {
  return t.http().get('/v1/auth/whoami').set(bearer(token));
}

/** The request answers 401 DSE-002 problem+json with a detail matching `detail`. */
async function expectRefused(t: TestApp, token: string, detail: RegExp): Promise<void> {
  const res = await whoami(t, token);
  expect({ status: res.status, code: res.body.code, detail: res.body.detail }).toEqual({
    status: 401,
    code: 'DSE-002',
    detail: expect.stringMatching(detail),
  });
  expect(res.headers['content-type']).toMatch(PROBLEM);
}

describe('JWT for provers, JWKS served over HTTP', () => {
  const idp = new TestIdentityProvider();
  const jwks = new JwksServer(idp);
  let t: TestApp;
  let ctx: ProversCtx;
  let firstKid: string;

  beforeAll(async () => {
    firstKid = await idp.addKey('ES256');
    await jwks.start();
    t = await startTestApp(jwtEnv({ AUTH_JWKS_URL: jwks.url }));
    ctx = new ProversCtx(t);
  });
  afterAll(async () => {
    await t.close();
    await jwks.stop();
  });

  it('lets a prover with a JWT register, heartbeat, poll and report, as its own prover only', async () => {
    const prover = ctx.name('prover');
    const key = bearer(await idp.token(prover));
    expect((await ctx.register(key, { prover_id: prover }).expect(201)).body.prover_id).toBe(prover);
    await ctx.heartbeat(prover, key).expect(200);

    const client = await ctx.fundedClient('10');
    const id = (await ctx.submit(client.key, { max_cost_micros: 1_000_000 }).expect(201)).body.network_job_id;
    await ctx.assign(id, [prover]).expect(201);
    expect((await ctx.poll(prover, key).expect(200)).body.network_job_id).toBe(id);
    await ctx.report(id, key, { success: true, final_cost_micros: 400_000 }).expect(201);
    expect(await ctx.waitForStatus(id, 'AUDITED')).toBe('AUDITED');
    // Paid as a key-authenticated prover is: the final cost less the 10% platform fee.
    expect((await ctx.balance('provider', prover)).posted).toBe('0.36');

    // The token acts for its sub only, and as a prover only.
    const other = ctx.name('prover');
    expect((await ctx.register(key, { prover_id: other }).expect(403)).body.code).toBe('DSE-002');
    expect((await ctx.heartbeat(other, key).expect(403)).body.code).toBe('DSE-002');
    expect((await ctx.submit(key, { max_cost_micros: 1 }).expect(403)).body.code).toBe('DSE-002');
  });

  it('names the token as the caller: its jti, the prover role and its sub', async () => {
    const token = await idp.token('p-who');
    const jti = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).jti;
    expect((await whoami(t, token).expect(200)).body).toEqual({
      key_id: `jwt:${jti}`,
      role: 'prover',
      subject: 'p-who',
    });
  });

  it('refuses expired, not yet valid, wrongly addressed and wrongly issued tokens with 401 DSE-002', async () => {
    await expectRefused(t, await idp.token('p1', { expiresIn: -5 }), /expired/);
    await expectRefused(t, await idp.token('p1', { notBefore: 120 }), /not valid yet \(nbf\)/);
    await expectRefused(t, await idp.token('p1', { audience: 'someone-else' }), /audience \(aud\)/);
    await expectRefused(t, await idp.token('p1', { issuer: 'https://evil.example' }), /issuer \(iss\)/);
  });

  it('refuses a token of another role, or none: a JWT authenticates provers only', async () => {
    for (const role of ['admin', 'client', 'Prover', ['prover']]) {
      await expectRefused(t, await idp.token('p1', { claims: { role } }), /role claim must be "prover"/);
    }
    await expectRefused(t, await idp.token('p1', { claims: { role: undefined } }), /no role claim/);
  });

  it('refuses an unknown kid, a bad signature and alg none', async () => {
    const stranger = new TestIdentityProvider();
    await stranger.addKey('ES256');
    await expectRefused(t, await stranger.token('p1'), /no key in the JWKS matches/);

    // Signed by another key under the published kid.
    const impostor = new TestIdentityProvider();
    await impostor.addKey('ES256', firstKid);
    await expectRefused(t, await impostor.token('p1'), /signature does not verify/);

    // A genuine token whose payload was edited afterwards.
    const [header, , signature] = (await idp.token('p1')).split('.');
    const edited = Buffer.from(
      JSON.stringify({ sub: 'p-admin', role: 'prover', iss: ISSUER, aud: AUDIENCE, exp: 9e9 }),
    );
    await expectRefused(t, `${header}.${edited.toString('base64url')}.${signature}`, /signature does not verify/);

    const none = Buffer.from(JSON.stringify({ alg: 'none', kid: firstKid })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ sub: 'p1', role: 'prover', iss: ISSUER, aud: AUDIENCE, exp: 9e9 }));
    await expectRefused(t, `${none}.${payload.toString('base64url')}.`, /alg "none"/);
  });

  it('refuses a malformed token, an encrypted one, a symmetric alg and a token without kid', async () => {
    await expectRefused(t, 'not.a.jwt', /malformed token/);
    await expectRefused(t, 'only.two', /malformed token/);
    await expectRefused(t, 'a.b.c.d.e', /encrypted tokens \(JWE\)/);
    await expectRefused(t, `eyJ${'A'.repeat(9000)}.e30.c2ln`, /longer than 8192/);
    const hs = await new SignJWT({ role: 'prover' })
      .setProtectedHeader({ alg: 'HS256', kid: firstKid })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject('p1')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('a shared secret the attacker knows'));
    await expectRefused(t, hs, /alg is not accepted/);
    await expectRefused(t, await idp.token('p1', { header: { kid: undefined } }), /no kid/);
    // A JWT is an Authorization: Bearer credential, never an X-API-Key.
    const res = await t
      .http()
      .get('/v1/auth/whoami')
      .set('X-API-Key', await idp.token('p1'))
      .expect(401);
    expect(res.body.detail).toMatch(/send a JWT as Authorization: Bearer/);
  });

  it('accepts a new kid without a restart (rotation), and stops a removed one within the TTL (revocation)', async () => {
    const fetchesBefore = jwks.fetches;
    const nextKid = await idp.addKey('RS256');
    await whoami(t, await idp.token('p-rot', { kid: nextKid })).expect(200);
    expect(jwks.fetches).toBeGreaterThan(fetchesBefore);

    const oldToken = await idp.token('p-rot', { kid: firstKid });
    await whoami(t, oldToken).expect(200);
    idp.unpublish(firstKid);
    await sleep(TTL_SECONDS * 1000 + 200);
    await expectRefused(t, oldToken, /no key in the JWKS matches/);
    await expectRefused(t, await idp.token('p-rot', { kid: firstKid }), /no key in the JWKS matches/);
    await whoami(t, await idp.token('p-rot', { kid: nextKid })).expect(200);
    firstKid = nextKid;
  });

  it('stops a long poll whose token expires while it waits', async () => {
    const prover = ctx.name('prover');
    await ctx.register(bearer(await idp.token(prover)), { prover_id: prover }).expect(201);
    const shortLived = bearer(await idp.token(prover, { expiresIn: 2 }));
    const started = Date.now();
    const res = await ctx.poll(prover, shortLived, { max_wait_seconds: 10 }).expect(401);
    expect(res.body).toMatchObject({ code: 'DSE-002', detail: expect.stringMatching(/revoked or expired/) });
    expect(Date.now() - started).toBeLessThan(8000);
  });

  it('answers 503 DSE-014 with Retry-After while the JWKS is unreachable; API keys keep working', async () => {
    const token = await idp.token('p-down');
    await whoami(t, token).expect(200);
    await jwks.stop();
    await sleep(TTL_SECONDS * 1000 + 200);
    const res = await whoami(t, token).expect(503);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.body).toMatchObject({ code: 'DSE-014', status: 503 });
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    await t.http().get('/v1/auth/whoami').set(ctx.admin()).expect(200);

    await jwks.start();
    await whoami(t, token).expect(200);
  });
});

describe('JWT for provers, JWKS from a file', () => {
  const idp = new TestIdentityProvider();
  let dir: string;
  let file: string;
  let t: TestApp;
  let ctx: ProversCtx;
  const publish = () => writeFile(file, JSON.stringify(idp.jwks()));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tally-jwks-'));
    file = join(dir, 'jwks.json');
    await idp.addKey('EdDSA');
    await publish();
    t = await startTestApp(jwtEnv({ AUTH_JWKS_FILE: file }));
    ctx = new ProversCtx(t);
  });
  afterAll(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('lets a prover with a JWT register and poll', async () => {
    const prover = ctx.name('prover');
    const key = bearer(await idp.token(prover));
    await ctx.register(key, { prover_id: prover }).expect(201);
    await ctx.poll(prover, key).expect(204);
  });

  it('reads a new kid from the file without a restart, and drops a removed one within the TTL', async () => {
    const [firstKid] = idp.jwks().keys.map((k) => k.kid!);
    const nextKid = await idp.addKey('ES256');
    await expectRefused(t, await idp.token('p-f', { kid: nextKid }), /no key in the JWKS matches/); // not yet in the file
    await publish();
    await whoami(t, await idp.token('p-f', { kid: nextKid })).expect(200);

    const oldToken = await idp.token('p-f', { kid: firstKid });
    await whoami(t, oldToken).expect(200);
    idp.unpublish(firstKid);
    await publish();
    await sleep(TTL_SECONDS * 1000 + 200);
    await expectRefused(t, oldToken, /no key in the JWKS matches/);
    await whoami(t, await idp.token('p-f', { kid: nextKid })).expect(200);
  });

  it('answers 503 DSE-014 when the file cannot be read, and recovers when it can', async () => {
    const token = await idp.token('p-f');
    await writeFile(file, '{ not json');
    await sleep(TTL_SECONDS * 1000 + 200);
    const res = await whoami(t, token).expect(503);
    expect(res.body.code).toBe('DSE-014');
    expect(res.headers['retry-after']).toBeDefined();
    await rm(file);
    expect((await whoami(t, token).expect(503)).body.code).toBe('DSE-014');
    await publish();
    await whoami(t, token).expect(200);
  });
});
