import { Query } from '@nestjs/cqrs';
import type { ApiKey } from '../../domain/api-key';

/** Every key, revoked ones included, oldest first. */
export class ListApiKeysQuery extends Query<ApiKey[]> {}
