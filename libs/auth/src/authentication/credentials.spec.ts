import { presentedCredential } from './credentials';

describe('presentedCredential', () => {
  it('reads Authorization: Bearer and X-API-Key', () => {
    expect(presentedCredential({ authorization: 'Bearer tly_abc' })).toBe('tly_abc');
    expect(presentedCredential({ authorization: 'bearer   tly_abc ' })).toBe('tly_abc');
    expect(presentedCredential({ 'x-api-key': 'tly_abc' })).toBe('tly_abc');
    expect(presentedCredential({ 'x-api-key': ' tly_abc ' })).toBe('tly_abc');
    expect(presentedCredential({ authorization: 'Bearer tly_abc', 'x-api-key': 'tly_abc' })).toBe('tly_abc');
  });

  it('reads a JWT from Authorization: Bearer, and leaves its length to the authenticator', () => {
    const jwt = `eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0.${'e'.repeat(400)}.c2ln`;
    expect(presentedCredential({ authorization: `Bearer ${jwt}` })).toBe(jwt);
    const long = `tly_${'x'.repeat(300)}`;
    expect(presentedCredential({ 'x-api-key': long })).toBe(long);
  });

  it('is null without a key', () => {
    expect(presentedCredential({})).toBeNull();
    expect(presentedCredential({ authorization: '', 'x-api-key': '' })).toBeNull();
  });

  it.each([
    [{ authorization: 'Basic dXNlcjpwYXNz' }],
    [{ authorization: 'Bearer' }],
    [{ authorization: 'Bearer a b' }],
    [{ authorization: 'Bearer tly_a', 'x-api-key': 'tly_b' }],
    [{ 'x-api-key': 'tly_a, tly_b' }],
    [{ 'x-api-key': 'eyJhbGciOiJFUzI1NiJ9.e30.c2ln' }],
  ])('rejects %j with DSE-002', (headers) => {
    expect(() => presentedCredential(headers)).toThrow(expect.objectContaining({ code: 'DSE-002' }));
  });

  it('rejects two Authorization headers (Node would keep the first without a word), whatever their case', () => {
    const raw = ['Authorization', 'Bearer tly_a', 'host', 'x', 'authorization', 'Bearer tly_b'];
    expect(() => presentedCredential({ authorization: 'Bearer tly_a' }, raw)).toThrow(
      expect.objectContaining({ code: 'DSE-002', message: 'send one Authorization header' }),
    );
    expect(presentedCredential({ authorization: 'Bearer tly_a' }, ['Authorization', 'Bearer tly_a'])).toBe('tly_a');
  });
});
