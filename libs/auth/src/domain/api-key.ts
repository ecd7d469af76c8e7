import type { Role } from './role';

/** An API key as stored: the secret itself is never kept, only its SHA-256 hex hash. */
export interface ApiKey {
  id: string;
  /** Hex SHA-256 of the key; also the HMAC signing secret of keys that require signatures. */
  keyHash: string;
  /** The first characters of the key, to recognise it in listings. */
  prefix: string;
  role: Role;
  /** Whose key it is: the client's owner id, the prover id, or a label for admins. */
  subject: string;
  requireSignature: boolean;
  label: string | null;
  createdAt: Date;
  revokedAt: Date | null;
}

/** The caller a request was authenticated as, attached to the request by the guard. */
export interface Principal {
  keyId: string;
  role: Role;
  subject: string;
}

export type NewApiKey = Omit<ApiKey, 'createdAt' | 'revokedAt'>;

export interface ApiKeyFilter {
  role?: string;
  subject?: string;
  revoked?: boolean;
  /** Keyset page: only keys listed after the key with this id (which must exist). */
  after?: string;
  limit?: number;
}

/** Port for API key storage (DI token); the TypeORM adapter lives in persistence/. */
export abstract class ApiKeyRepository {
  abstract insert(key: NewApiKey): Promise<ApiKey>;
  /** Inserts unless a key with the same hash exists; returns the stored key either way. */
  abstract insertIfAbsent(key: NewApiKey): Promise<{ key: ApiKey; created: boolean }>;
  abstract findByHash(keyHash: string): Promise<ApiKey | null>;
  /** Keys oldest first (by created_at, then id), filtered; every key when the filter is empty. */
  abstract list(filter?: ApiKeyFilter): Promise<ApiKey[]>;
  abstract findById(id: string): Promise<ApiKey | null>;
  /** Sets revoked_at if not already set; returns the key, or null for an unknown id. */
  abstract revoke(id: string): Promise<ApiKey | null>;
}
