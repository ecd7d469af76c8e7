import { validateEnv } from '@tally/shared';
import type { ApiKeyRepository } from '../domain/api-key';
import { AdminKeyBootstrap } from './admin-key.bootstrap';

describe('AdminKeyBootstrap', () => {
  const bootstrap = (secret: string) => {
    const inserted: string[] = [];
    const keys = {
      insertIfAbsent: async (key: { keyHash: string }) => {
        inserted.push(key.keyHash);
        return { key: { ...key, id: 'k1', revokedAt: null, role: 'admin', prefix: 'x' }, created: true };
      },
    } as unknown as ApiKeyRepository;
    return {
      run: () => new AdminKeyBootstrap(validateEnv({ TALLY_ADMIN_KEY: secret }), keys).onApplicationBootstrap(),
      inserted,
    };
  };

  it('refuses an admin key with a dot: it would be read as a JWT and could never authenticate', async () => {
    const dotted = bootstrap('admin.secret.with-dots-0123456789');
    await expect(dotted.run()).rejects.toThrow(/without spaces, commas or dots/);
    expect(dotted.inserted).toEqual([]);
    const plain = bootstrap('admin_secret_without_dots_0123456789');
    await expect(plain.run()).resolves.toBeUndefined();
    expect(plain.inserted).toHaveLength(1);
  });
});
