import type { ApiKey } from '../domain/api-key';
import { API_KEY_CACHE_TTL_MS, ApiKeyCache } from './api-key-cache';

const key = (overrides: Partial<ApiKey> = {}): ApiKey => ({
  id: 'k1',
  keyHash: 'h1',
  prefix: 'tly_x',
  role: 'client',
  subject: 'alice',
  requireSignature: false,
  label: null,
  createdAt: new Date(0),
  revokedAt: null,
  ...overrides,
});

describe('ApiKeyCache', () => {
  it('keeps a key for a few seconds', () => {
    const cache = new ApiKeyCache();
    cache.set(key(), cache.generation, 1000);
    expect(cache.get('h1', 1000 + API_KEY_CACHE_TTL_MS - 1)?.id).toBe('k1');
    expect(cache.get('h1', 1000 + API_KEY_CACHE_TTL_MS)).toBeUndefined();
  });

  it('forgets everything on invalidate', () => {
    const cache = new ApiKeyCache();
    cache.set(key(), cache.generation);
    cache.invalidate();
    expect(cache.get('h1')).toBeUndefined();
  });

  it('refuses a key read before an invalidation (a lookup racing a revoke)', () => {
    const cache = new ApiKeyCache();
    const before = cache.generation;
    cache.invalidate();
    cache.set(key(), before);
    expect(cache.get('h1')).toBeUndefined();
  });

  it('never caches a revoked key', () => {
    const cache = new ApiKeyCache();
    cache.set(key({ revokedAt: new Date() }), cache.generation);
    expect(cache.get('h1')).toBeUndefined();
  });
});
