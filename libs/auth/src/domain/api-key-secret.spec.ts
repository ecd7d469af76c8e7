import { displayPrefix, generateApiKey, hashApiKey } from './api-key-secret';
import { assertValidKeyRequest, isKeyId } from './api-key-rules';

describe('API key secrets', () => {
  it('generates tly_ keys with 256 random bits, all different', () => {
    const keys = new Set(Array.from({ length: 100 }, generateApiKey));
    expect(keys.size).toBe(100);
    for (const key of keys) expect(key).toMatch(/^tly_[A-Za-z0-9_-]{43}$/);
  });

  it('stores the hex SHA-256 of the key', () => {
    // printf 'tly_example_key' | sha256sum
    expect(hashApiKey('tly_example_key')).toBe('561b6d1247b983aafc548ca2f01f5e614023d4161558c309fac1e7f52b19f869');
    expect(hashApiKey(generateApiKey())).toMatch(/^[0-9a-f]{64}$/);
  });

  it('keeps 12 characters for display, never enough to matter', () => {
    const key = generateApiKey();
    expect(displayPrefix(key)).toBe(key.slice(0, 12));
    expect(displayPrefix(key).length).toBeLessThanOrEqual(16);
  });

  it('shows a key an operator chose by a fingerprint of its hash, none of its characters', () => {
    const chosen = 'admin-key-0123456789abcdefXYZ';
    expect(displayPrefix(chosen)).toBe(`sha256:${hashApiKey(chosen).slice(0, 8)}`);
    expect(displayPrefix('tly_short')).toMatch(/^sha256:[0-9a-f]{8}$/); // not the generated shape
  });
});

describe('API key rules', () => {
  it('accepts a valid request', () => {
    expect(() => assertValidKeyRequest({ role: 'client', subject: 'alice@example.com' })).not.toThrow();
    expect(() => assertValidKeyRequest({ role: 'prover', subject: 'p-1:eu', requireSignature: true })).not.toThrow();
  });

  it.each([
    [{ role: 'root', subject: 'alice' }, /role/],
    [{ role: 'client', subject: '' }, /subject/],
    [{ role: 'client', subject: 'a b' }, /subject/],
    [{ role: 'client', subject: 'x'.repeat(129) }, /subject/],
    [{ role: 'client', subject: 'alice', requireSignature: true }, /prover keys only/],
    [{ role: 'admin', subject: 'ops', label: 'x'.repeat(257) }, /label/],
  ])('rejects %j as DSE-001', (request, message) => {
    expect(() => assertValidKeyRequest(request)).toThrow(expect.objectContaining({ code: 'DSE-001' }));
    expect(() => assertValidKeyRequest(request)).toThrow(message);
  });

  it('knows a key id when it sees one', () => {
    expect(isKeyId('0b9d6c9e-5c3f-4d0e-9a51-1b7e1c2d3f4a')).toBe(true);
    expect(isKeyId('nope')).toBe(false);
  });
});
