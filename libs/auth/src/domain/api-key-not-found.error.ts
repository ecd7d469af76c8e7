import { InvalidRequestError } from '@tally/shared';

/**
 * DSE-001 (400) for an unknown key id. §6 has no "key not found" code, and 404 is reserved
 * for unknown routes within DSE-001.
 */
export class ApiKeyNotFoundError extends InvalidRequestError {
  constructor(id: string) {
    super(`no API key with id ${id}`, { key_id: id });
  }
}
