import { ApiKeyRepository, type ApiKey, type NewApiKey } from '../../domain/api-key';
import { hashApiKey } from '../../domain/api-key-secret';
import { CreateApiKeyCommand } from './create-api-key.command';
import { CreateApiKeyCommandHandler } from './create-api-key.command-handler';

class InMemoryKeys extends ApiKeyRepository {
  readonly rows: ApiKey[] = [];
  async insert(key: NewApiKey): Promise<ApiKey> {
    const row = { ...key, createdAt: new Date(), revokedAt: null };
    this.rows.push(row);
    return row;
  }
  async insertIfAbsent(): Promise<never> {
    throw new Error('not used');
  }
  async findByHash(keyHash: string) {
    return this.rows.find((r) => r.keyHash === keyHash) ?? null;
  }
  async list() {
    return this.rows;
  }
  async findById(id: string) {
    return this.rows.find((r) => r.id === id) ?? null;
  }
  async revoke(): Promise<never> {
    throw new Error('not used');
  }
}

describe('CreateApiKeyCommandHandler', () => {
  it('returns the secret once and stores only its hash and prefix', async () => {
    const keys = new InMemoryKeys();
    const { apiKey, secret } = await new CreateApiKeyCommandHandler(keys).execute(
      new CreateApiKeyCommand('prover', 'p1', { requireSignature: true, label: 'rack 4' }),
    );
    expect(secret).toMatch(/^tly_/);
    expect(apiKey).toMatchObject({
      keyHash: hashApiKey(secret),
      prefix: secret.slice(0, 12),
      role: 'prover',
      subject: 'p1',
      requireSignature: true,
      label: 'rack 4',
    });
    expect(JSON.stringify(keys.rows)).not.toContain(secret);
  });

  it('rejects an invalid request before storing anything', async () => {
    const keys = new InMemoryKeys();
    const handler = new CreateApiKeyCommandHandler(keys);
    await expect(
      handler.execute(new CreateApiKeyCommand('client', 'alice', { requireSignature: true })),
    ).rejects.toThrow(/prover keys only/);
    await expect(handler.execute(new CreateApiKeyCommand('superuser', 'alice'))).rejects.toThrow(/role/);
    expect(keys.rows).toHaveLength(0);
  });
});
