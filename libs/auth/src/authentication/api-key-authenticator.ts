import { Injectable } from '@nestjs/common';
import { ApiKeyRepository, type ApiKey } from '../domain/api-key';
import { hashApiKey } from '../domain/api-key-secret';
import { ApiKeyCache } from './api-key-cache';

/**
 * Finds the active key a presented secret belongs to: by its hash, through a short cache.
 * Concurrent requests with the same key share one lookup (a busy key expiring from the
 * cache would otherwise be read once per request in flight).
 */
@Injectable()
export class ApiKeyAuthenticator {
  private readonly inFlight = new Map<string, Promise<ApiKey | null>>();

  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly cache: ApiKeyCache,
  ) {}

  /** The active key, or null for an unknown or revoked one. */
  async authenticate(presented: string): Promise<ApiKey | null> {
    const keyHash = hashApiKey(presented);
    const cached = this.cache.get(keyHash);
    if (cached) return cached;
    let lookup = this.inFlight.get(keyHash);
    if (!lookup) {
      lookup = this.lookup(keyHash).finally(() => this.inFlight.delete(keyHash));
      this.inFlight.set(keyHash, lookup);
    }
    return lookup;
  }

  private async lookup(keyHash: string): Promise<ApiKey | null> {
    const generation = this.cache.generation;
    const key = await this.keys.findByHash(keyHash);
    if (!key || key.revokedAt) return null;
    this.cache.set(key, generation);
    return key;
  }
}
