import { NotFoundError } from '@tally/shared';

/** DSE-001 (404) for an unknown key id: the error table (docs/errors.md) has no code of its own for keys. */
export class ApiKeyNotFoundError extends NotFoundError {
  constructor(id: string) {
    super(`no API key with id ${id}`, { key_id: id });
  }
}
