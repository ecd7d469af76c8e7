/**
 * What a presented credential is, from its shape alone: a JWT holds dots (three base64url
 * parts joined by them), an API key never does (generated keys are base64url, and
 * TALLY_ADMIN_KEY may not hold one). A JWT is therefore never looked up as an API key: no
 * database read, no timing or error that depends on the key table.
 */
export type CredentialKind = 'api_key' | 'jwt';

export function credentialKind(presented: string): CredentialKind {
  return presented.includes('.') ? 'jwt' : 'api_key';
}

/** Longest JWT accepted; anything longer is refused before it is parsed. */
export const MAX_PRESENTED_JWT_LENGTH = 8192;
