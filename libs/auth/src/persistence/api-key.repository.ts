import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@tally/database';
import { ApiKeyRepository, type ApiKey, type ApiKeyFilter, type NewApiKey } from '../domain/api-key';
import { ApiKeyOrmEntity } from './api-key.orm-entity';

function toDomain(row: ApiKeyOrmEntity): ApiKey {
  return {
    id: row.id,
    keyHash: row.keyHash.trim(),
    prefix: row.prefix,
    role: row.role,
    subject: row.subject,
    requireSignature: row.requireSignature,
    label: row.label,
    createdAt: row.createdAt,
    revokedAt: row.revokedAt,
  };
}

/** API keys in Postgres, inside the current transaction when there is one. */
@Injectable()
export class TypeOrmApiKeyRepository extends ApiKeyRepository {
  constructor(private readonly uow: UnitOfWork) {
    super();
  }

  private get repo() {
    return this.uow.tx.getRepository(ApiKeyOrmEntity);
  }

  async insert(key: NewApiKey): Promise<ApiKey> {
    await this.repo.insert(key);
    return toDomain(await this.repo.findOneByOrFail({ id: key.id }));
  }

  async insertIfAbsent(key: NewApiKey): Promise<{ key: ApiKey; created: boolean }> {
    const result = await this.repo.createQueryBuilder().insert().values(key).orIgnore().returning(['id']).execute();
    const created = Array.isArray(result.raw) && result.raw.length > 0;
    const stored = await this.repo.findOneByOrFail({ keyHash: key.keyHash });
    return { key: toDomain(stored), created };
  }

  async findByHash(keyHash: string): Promise<ApiKey | null> {
    const row = await this.repo.findOneBy({ keyHash });
    return row ? toDomain(row) : null;
  }

  async list(filter: ApiKeyFilter = {}): Promise<ApiKey[]> {
    const query = this.repo.createQueryBuilder('k').orderBy('k.created_at', 'ASC').addOrderBy('k.id', 'ASC');
    if (filter.role !== undefined) query.andWhere('k.role = :role', { role: filter.role });
    if (filter.subject !== undefined) query.andWhere('k.subject = :subject', { subject: filter.subject });
    if (filter.revoked !== undefined) query.andWhere(`k.revoked_at IS ${filter.revoked ? 'NOT ' : ''}NULL`);
    // The anchor's created_at is read in SQL: a JS Date would drop its microseconds.
    if (filter.after !== undefined) {
      query.andWhere('(k.created_at, k.id) > (SELECT a.created_at, a.id FROM api_keys a WHERE a.id = :after)', {
        after: filter.after,
      });
    }
    if (filter.limit !== undefined) query.limit(filter.limit);
    return (await query.getMany()).map(toDomain);
  }

  async findById(id: string): Promise<ApiKey | null> {
    const row = await this.repo.findOneBy({ id });
    return row ? toDomain(row) : null;
  }

  async revoke(id: string): Promise<ApiKey | null> {
    await this.repo
      .createQueryBuilder()
      .update()
      .set({ revokedAt: () => 'now()' })
      .where('id = :id AND revoked_at IS NULL', { id })
      .execute();
    return this.findById(id);
  }
}
