import { Injectable } from '@nestjs/common';
import type { ApiKey } from '../domain/api-key';

export const API_KEY_CACHE_TTL_MS = 5_000;
const MAX_ENTRIES = 10_000;

/**
 * Active keys by hash, for a few seconds, so the guard does not read the database on every
 * request. `invalidate()` (called on revoke) empties it and bumps a generation, so a lookup
 * that started before the revoke cannot put the stale key back: a revoked key stops
 * working on this instance at once, and on other instances within the TTL.
 */
@Injectable()
export class ApiKeyCache {
  private readonly entries = new Map<string, { key: ApiKey; expiresAt: number }>();
  private currentGeneration = 0;

  get generation(): number {
    return this.currentGeneration;
  }

  get(keyHash: string, now = Date.now()): ApiKey | undefined {
    const entry = this.entries.get(keyHash);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(keyHash);
      return undefined;
    }
    return entry.key;
  }

  /** Stores a key read while the cache was at `generation`; ignored if it changed since. */
  set(key: ApiKey, generation: number, now = Date.now()): void {
    if (generation !== this.currentGeneration || key.revokedAt) return;
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(key.keyHash, { key, expiresAt: now + API_KEY_CACHE_TTL_MS });
  }

  invalidate(): void {
    this.currentGeneration++;
    this.entries.clear();
  }
}
