import { signRequest } from '@tally/auth';
import { Clock } from '@tally/shared';
import { startTestApp, TestApp } from '../support/test-app';

const PROBLEM = /^application\/problem\+json/;
const now = () => Math.floor(Date.now() / 1000);

describe('auth: HMAC-signed requests for keys that require signatures', () => {
  let t: TestApp;
  let prover: { id: string; key: string };

  beforeAll(async () => {
    t = await startTestApp();
    const res = await t
      .http()
      .post('/v1/admin/keys')
      .set('X-API-Key', t.adminKey)
      .send({ role: 'prover', subject: 'prover-1', require_signature: true })
      .expect(201);
    prover = res.body;
  });
  afterAll(() => t.close());

  const expect401 = (res: { status: number; headers: Record<string, string>; body: { code: string } }) => {
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.body.code).toBe('DSE-002');
  };

  it('accepts a correctly signed GET', async () => {
    const { headers } = signRequest({ key: prover.key, method: 'GET', path: '/v1/auth/whoami' });
    const res = await t.http().get('/v1/auth/whoami').set('X-API-Key', prover.key).set(headers).expect(200);
    expect(res.body).toEqual({ key_id: prover.id, role: 'prover', subject: 'prover-1' });
  });

  it('accepts a correctly signed POST with a body and a query string', async () => {
    const body = JSON.stringify({ job: 'j-1', note: 'ünïcode' });
    const path = '/v1/auth/whoami?attempt=1&x=%20y';
    const { headers } = signRequest({ key: prover.key, method: 'POST', path, body });
    await t
      .http()
      .post(path)
      .set('Authorization', `Bearer ${prover.key}`)
      .set('Content-Type', 'application/json')
      .set(headers)
      .send(body)
      .expect(200);
  });

  it('refuses a request without the signature headers', async () => {
    expect401(await t.http().get('/v1/auth/whoami').set('X-API-Key', prover.key));
    const { timestamp, signature } = signRequest({ key: prover.key, method: 'GET', path: '/v1/auth/whoami' });
    expect401(await t.http().get('/v1/auth/whoami').set('X-API-Key', prover.key).set('X-Timestamp', timestamp));
    expect401(await t.http().get('/v1/auth/whoami').set('X-API-Key', prover.key).set('X-Signature', signature));
  });

  it('refuses a timestamp more than five minutes off, either way', async () => {
    // A margin past the 300 s window: the server's clock may tick a few seconds on a loaded machine
    // between signing and checking, which would bring a stamp of now + 301 back inside.
    for (const timestamp of [now() - 330, now() + 330]) {
      const { headers } = signRequest({ key: prover.key, method: 'GET', path: '/v1/auth/whoami', timestamp });
      const res = await t.http().get('/v1/auth/whoami').set('X-API-Key', prover.key).set(headers);
      expect401(res);
      expect(res.body.detail).toMatch(/X-Timestamp/);
    }
  });

  it("measures the window against the server's Clock", async () => {
    const stamp = 1_900_000_000; // a signature stamped at a fixed moment
    const { headers } = signRequest({ key: prover.key, method: 'GET', path: '/v1/auth/whoami', timestamp: stamp });
    const clock = jest.spyOn(t.app.get(Clock), 'now');
    try {
      clock.mockImplementation(() => new Date((stamp + 330) * 1000));
      expect401(await t.http().get('/v1/auth/whoami').set('X-API-Key', prover.key).set(headers));
      clock.mockImplementation(() => new Date((stamp + 200) * 1000));
      await t.http().get('/v1/auth/whoami').set('X-API-Key', prover.key).set(headers).expect(200);
    } finally {
      clock.mockRestore();
    }
  });

  it('refuses a tampered body', async () => {
    const { headers } = signRequest({
      key: prover.key,
      method: 'POST',
      path: '/v1/auth/whoami',
      body: '{"amount":"1"}',
    });
    const res = await t
      .http()
      .post('/v1/auth/whoami')
      .set('X-API-Key', prover.key)
      .set('Content-Type', 'application/json')
      .set(headers)
      .send('{"amount":"9"}');
    expect401(res);
    expect(res.body.detail).toMatch(/does not match/);
  });

  it('refuses a signature over another path, method, or with another key', async () => {
    const other = signRequest({ key: prover.key, method: 'GET', path: '/v1/auth/whoami?x=1' });
    expect401(await t.http().get('/v1/auth/whoami').set('X-API-Key', prover.key).set(other.headers));
    const post = signRequest({ key: prover.key, method: 'POST', path: '/v1/auth/whoami' });
    expect401(await t.http().get('/v1/auth/whoami').set('X-API-Key', prover.key).set(post.headers));
    const wrongKey = signRequest({ key: t.adminKey, method: 'GET', path: '/v1/auth/whoami' });
    expect401(await t.http().get('/v1/auth/whoami').set('X-API-Key', prover.key).set(wrongKey.headers));
    const malformed = { 'X-Timestamp': String(now()), 'X-Signature': 'not-hex' };
    expect401(await t.http().get('/v1/auth/whoami').set('X-API-Key', prover.key).set(malformed));
  });

  it('refuses a replayed signature, in any letter case', async () => {
    // Identical requests in the same second have identical signatures: this path is used once.
    const path = '/v1/auth/whoami?replay=1';
    const { headers, timestamp, signature } = signRequest({ key: prover.key, method: 'GET', path });
    await t.http().get(path).set('X-API-Key', prover.key).set(headers).expect(200);
    const replay = await t.http().get(path).set('X-API-Key', prover.key).set(headers);
    expect401(replay);
    expect(replay.body.detail).toMatch(/already used/);
    const upper = { 'X-Timestamp': timestamp, 'X-Signature': signature.toUpperCase() };
    expect401(await t.http().get(path).set('X-API-Key', prover.key).set(upper));
  });

  it('still checks the key first, and the role after the signature', async () => {
    const { headers } = signRequest({ key: prover.key, method: 'GET', path: '/v1/admin/keys' });
    const res = await t.http().get('/v1/admin/keys').set('X-API-Key', prover.key).set(headers);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('DSE-002');
    const unsigned = await t.http().get('/v1/admin/keys').set('X-API-Key', prover.key);
    expect(unsigned.status).toBe(401);
  });

  it('does not ask keys without require_signature to sign', async () => {
    const res = await t
      .http()
      .post('/v1/admin/keys')
      .set('X-API-Key', t.adminKey)
      .send({ role: 'prover', subject: 'prover-2' })
      .expect(201);
    expect(res.body.require_signature).toBe(false);
    await t.http().get('/v1/auth/whoami').set('X-API-Key', res.body.key).expect(200);
  });

  it('remembers each accepted signature with its key', async () => {
    const rows = await t.dataSource.query(`SELECT signature, api_key_id FROM request_signatures`);
    expect(rows.length).toBeGreaterThanOrEqual(3);
    for (const row of rows) {
      expect(row.api_key_id).toBe(prover.id);
      expect(row.signature).toMatch(/^[0-9a-f]{64}$/);
    }
  });
});
