import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { ApiKeyRepository, type ApiKey } from '../../domain/api-key';
import { ListApiKeysQuery } from './list-api-keys.query';

@QueryHandler(ListApiKeysQuery)
export class ListApiKeysQueryHandler implements IQueryHandler<ListApiKeysQuery> {
  constructor(private readonly keys: ApiKeyRepository) {}

  execute(_query: ListApiKeysQuery): Promise<ApiKey[]> {
    return this.keys.list();
  }
}
