import { checkSignature, computeSignature, signaturePayload, signRequest } from './request-signature';
import { hashApiKey } from './api-key-secret';

// Vectors computed independently with openssl:
//   S=$(printf 'tly_example_key' | sha256sum | cut -d' ' -f1)
//   printf '1700000000\nPOST\n/v1/auth/whoami?x=1\n{"a":1}' | openssl dgst -sha256 -hmac "$S" -hex
const KEY = 'tly_example_key';
const SECRET = '561b6d1247b983aafc548ca2f01f5e614023d4161558c309fac1e7f52b19f869';
const POST_SIGNATURE = 'c25683da02e30e524dd9e3205450ba4b8fb9040718f6d8ada415c776f14520c8';
const GET_SIGNATURE = 'e46e9172ed8cfba48b64ce1f40c720abdb3481c96709e3f730176185de6fcdf6';
const POST = { method: 'POST', path: '/v1/auth/whoami?x=1', body: '{"a":1}' };

describe('request signatures', () => {
  it('signs with the hex SHA-256 of the key as the HMAC secret', () => {
    expect(hashApiKey(KEY)).toBe(SECRET);
    expect(computeSignature(SECRET, { ...POST, timestamp: 1700000000 })).toBe(POST_SIGNATURE);
    expect(signRequest({ key: KEY, ...POST, timestamp: 1700000000 })).toEqual({
      timestamp: '1700000000',
      signature: POST_SIGNATURE,
      headers: { 'X-Timestamp': '1700000000', 'X-Signature': POST_SIGNATURE },
    });
  });

  it('signs an empty body for requests without one, and upper-cases the method', () => {
    const get = { method: 'get', path: '/v1/auth/whoami', timestamp: 1700000000 };
    expect(computeSignature(SECRET, get)).toBe(GET_SIGNATURE);
    expect(computeSignature(SECRET, { ...get, body: '' })).toBe(GET_SIGNATURE);
    expect(computeSignature(SECRET, { ...get, body: Buffer.alloc(0) })).toBe(GET_SIGNATURE);
    expect(signaturePayload(get).toString()).toBe('1700000000\nGET\n/v1/auth/whoami\n');
  });

  it('treats a Buffer body and the same string alike', () => {
    const fromBuffer = computeSignature(SECRET, { ...POST, body: Buffer.from(POST.body), timestamp: 1700000000 });
    expect(fromBuffer).toBe(POST_SIGNATURE);
  });

  it('defaults the timestamp to now', () => {
    const before = Math.floor(Date.now() / 1000);
    const { timestamp } = signRequest({ key: KEY, method: 'GET', path: '/' });
    expect(Number(timestamp)).toBeGreaterThanOrEqual(before);
    expect(Number(timestamp)).toBeLessThanOrEqual(before + 1);
  });

  describe('checkSignature', () => {
    const now = 1700000000;
    const check = (headers: { timestamp?: string; signature?: string }, request = POST, at = now) =>
      checkSignature(SECRET, headers, request, at);

    it('accepts a good signature, in either case of hex', () => {
      expect(check({ timestamp: '1700000000', signature: POST_SIGNATURE })).toBe('ok');
      expect(check({ timestamp: '1700000000', signature: POST_SIGNATURE.toUpperCase() })).toBe('ok');
    });

    it('accepts timestamps up to five minutes either way, not beyond', () => {
      const at = (ts: number) =>
        check({ timestamp: String(ts), signature: computeSignature(SECRET, { ...POST, timestamp: ts }) });
      expect(at(now - 300)).toBe('ok');
      expect(at(now + 300)).toBe('ok');
      expect(at(now - 301)).toBe('stale');
      expect(at(now + 301)).toBe('stale');
    });

    it('names what is wrong', () => {
      expect(check({ signature: POST_SIGNATURE })).toBe('missing');
      expect(check({ timestamp: '1700000000' })).toBe('missing');
      expect(check({ timestamp: '1700000000.5', signature: POST_SIGNATURE })).toBe('malformed');
      expect(check({ timestamp: '1700000000', signature: 'zz' })).toBe('malformed');
      expect(check({ timestamp: '1700000000', signature: GET_SIGNATURE })).toBe('mismatch');
      expect(check({ timestamp: '1700000000', signature: POST_SIGNATURE }, { ...POST, body: '{"a":2}' })).toBe(
        'mismatch',
      );
      expect(check({ timestamp: '1700000000', signature: POST_SIGNATURE }, { ...POST, path: '/v1/auth/whoami' })).toBe(
        'mismatch',
      );
      expect(check({ timestamp: '1700000000', signature: POST_SIGNATURE }, { ...POST, method: 'PUT' })).toBe(
        'mismatch',
      );
    });

    it('does not accept a signature made with another key', () => {
      const other = computeSignature(hashApiKey('tly_other_key'), { ...POST, timestamp: now });
      expect(check({ timestamp: String(now), signature: other })).toBe('mismatch');
    });
  });
});
