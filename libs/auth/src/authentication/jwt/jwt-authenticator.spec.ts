import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { Clock, validateEnv } from '@tally/shared';
import { JwtAuthenticator } from './jwt-authenticator';

class FixedClock extends Clock {
  constructor(public at = new Date()) {
    super();
  }
  now(): Date {
    return this.at;
  }
}

describe('JwtAuthenticator', () => {
  let dir: string;
  let file: string;
  let privateKey: CryptoKey;
  const now = () => Math.floor(Date.now() / 1000);
  const token = (claims: Record<string, unknown> = {}, configure?: (jwt: SignJWT) => SignJWT) => {
    const jwt = new SignJWT({ role: 'prover', ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer('https://id.example')
      .setAudience('tally')
      .setSubject('p1')
      .setIssuedAt()
      .setExpirationTime('5m');
    return (configure ? configure(jwt) : jwt).sign(privateKey);
  };
  const authenticator = (extra: Record<string, string> = {}, clock = new FixedClock()) =>
    new JwtAuthenticator(
      validateEnv({
        AUTH_JWKS_FILE: file,
        AUTH_JWT_ISSUER: 'https://id.example',
        AUTH_JWT_AUDIENCE: 'tally',
        AUTH_JWT_CLOCK_TOLERANCE_SECONDS: '0',
        ...extra,
      }),
      clock,
    );

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jwt-spec-'));
    file = join(dir, 'jwks.json');
    const pair = await generateKeyPair('ES256');
    privateKey = pair.privateKey;
    await writeFile(
      file,
      JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256' }] }),
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('is off without a JWKS, and then refuses every token with 401', async () => {
    const off = new JwtAuthenticator(validateEnv({}), new FixedClock());
    expect(off.enabled).toBe(false);
    await expect(off.verify(await token())).rejects.toMatchObject({
      code: 'DSE-002',
      message: expect.stringMatching(/accepts no JWTs/),
    });
  });

  it('names the caller by jti, or by the hash of the token without one', async () => {
    const jwt = authenticator();
    expect(await jwt.verify(await token({ jti: 't-42' }))).toEqual({
      keyId: 'jwt:t-42',
      role: 'prover',
      subject: 'p1',
    });
    const anonymous = await token();
    expect((await jwt.verify(anonymous)).keyId).toBe(`jwt:${createHash('sha256').update(anonymous).digest('hex')}`);
  });

  it("reads time from the injected clock, so a token's window is judged in business time", async () => {
    const clock = new FixedClock();
    const jwt = authenticator({}, clock);
    const valid = await token();
    await expect(jwt.verify(valid)).resolves.toBeDefined();
    clock.at = new Date(Date.now() + 10 * 60_000);
    await expect(jwt.verify(valid)).rejects.toMatchObject({ message: 'the token has expired (exp)' });
  });

  it('with a maximum age, requires iat and refuses an older token whatever its exp', async () => {
    // The clock is read after the token is signed: a fixed clock read first may be a second
    // behind the token's iat (zero tolerance), which is "issued in the future".
    const fresh = await token();
    const jwt = authenticator({ AUTH_JWT_MAX_TOKEN_AGE_SECONDS: '60' });
    await expect(jwt.verify(fresh)).resolves.toBeDefined();
    await expect(jwt.verify(await token({}, (t) => t.setIssuedAt(now() - 120)))).rejects.toMatchObject({
      message: 'the token was issued more than 60 seconds ago',
    });
  });

  it('refuses a missing exp or sub, an oversized sub, and a role claim named otherwise', async () => {
    const jwt = authenticator();
    const noExp = await new SignJWT({ role: 'prover' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer('https://id.example')
      .setAudience('tally')
      .setSubject('p1')
      .sign(privateKey);
    await expect(jwt.verify(noExp)).rejects.toMatchObject({ message: 'the token has no exp claim' });
    await expect(jwt.verify(await token({ sub: undefined }, (t) => t.setSubject('')))).rejects.toMatchObject({
      code: 'DSE-002',
    });
    await expect(jwt.verify(await token({}, (t) => t.setSubject('p'.repeat(129))))).rejects.toMatchObject({
      message: expect.stringMatching(/sub must be a prover id/),
    });
    const custom = authenticator({ AUTH_JWT_ROLE_CLAIM: 'https://tally.example/role' });
    await expect(custom.verify(await token())).rejects.toMatchObject({
      message: 'the token has no https://tally.example/role claim',
    });
    expect(await custom.verify(await token({ 'https://tally.example/role': 'prover' }))).toMatchObject({
      subject: 'p1',
    });
  });

  it('refuses an algorithm the configuration does not list', async () => {
    await expect(authenticator({ AUTH_JWT_ALGORITHMS: 'RS256,EdDSA' }).verify(await token())).rejects.toMatchObject({
      message: "the token's alg is not accepted (accepted: RS256, EdDSA)",
    });
  });
});
