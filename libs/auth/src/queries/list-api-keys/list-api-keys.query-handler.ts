import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { badCursor } from '@tally/shared';
import { ApiKeyRepository, type ApiKey } from '../../domain/api-key';
import { ListApiKeysQuery } from './list-api-keys.query';

@QueryHandler(ListApiKeysQuery)
export class ListApiKeysQueryHandler implements IQueryHandler<ListApiKeysQuery> {
  constructor(private readonly keys: ApiKeyRepository) {}

  async execute({ filter }: ListApiKeysQuery): Promise<ApiKey[]> {
    if (filter.after !== undefined && !(await this.keys.findById(filter.after))) throw badCursor();
    return this.keys.list(filter);
  }
}
