import { generateApiKey } from './api-key-secret';
import { credentialKind } from './credential-kind';

describe('credentialKind', () => {
  it('reads a credential with a dot as a JWT, and every generated API key as a key', () => {
    expect(credentialKind('eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJwMSJ9.c2ln')).toBe('jwt');
    expect(credentialKind('a.b')).toBe('jwt');
    expect(credentialKind('tly_admin_0123456789abcdef0123456789')).toBe('api_key');
    for (let i = 0; i < 200; i++) expect(credentialKind(generateApiKey())).toBe('api_key');
  });
});
