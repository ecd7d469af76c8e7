import { Query } from '@nestjs/cqrs';
import type { ApiKey, ApiKeyFilter } from '../../domain/api-key';

/** Keys oldest first, revoked ones included unless filtered; every key when the filter is empty. */
export class ListApiKeysQuery extends Query<ApiKey[]> {
  constructor(readonly filter: ApiKeyFilter = {}) {
    super();
  }
}
