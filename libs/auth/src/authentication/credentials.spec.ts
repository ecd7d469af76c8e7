import { presentedApiKey } from './credentials';

describe('presentedApiKey', () => {
  it('reads Authorization: Bearer and X-API-Key', () => {
    expect(presentedApiKey({ authorization: 'Bearer tly_abc' })).toBe('tly_abc');
    expect(presentedApiKey({ authorization: 'bearer   tly_abc ' })).toBe('tly_abc');
    expect(presentedApiKey({ 'x-api-key': 'tly_abc' })).toBe('tly_abc');
    expect(presentedApiKey({ 'x-api-key': ' tly_abc ' })).toBe('tly_abc');
    expect(presentedApiKey({ authorization: 'Bearer tly_abc', 'x-api-key': 'tly_abc' })).toBe('tly_abc');
  });

  it('is null without a key', () => {
    expect(presentedApiKey({})).toBeNull();
    expect(presentedApiKey({ authorization: '', 'x-api-key': '' })).toBeNull();
  });

  it.each([
    [{ authorization: 'Basic dXNlcjpwYXNz' }],
    [{ authorization: 'Bearer' }],
    [{ authorization: 'Bearer a b' }],
    [{ authorization: 'Bearer tly_a', 'x-api-key': 'tly_b' }],
    [{ 'x-api-key': 'tly_a, tly_b' }],
    [{ 'x-api-key': `tly_${'x'.repeat(300)}` }],
  ])('rejects %j with DSE-002', (headers) => {
    expect(() => presentedApiKey(headers)).toThrow(expect.objectContaining({ code: 'DSE-002' }));
  });

  it('rejects two Authorization headers (Node would keep the first without a word), whatever their case', () => {
    const raw = ['Authorization', 'Bearer tly_a', 'host', 'x', 'authorization', 'Bearer tly_b'];
    expect(() => presentedApiKey({ authorization: 'Bearer tly_a' }, raw)).toThrow(
      expect.objectContaining({ code: 'DSE-002', message: 'send one Authorization header' }),
    );
    expect(presentedApiKey({ authorization: 'Bearer tly_a' }, ['Authorization', 'Bearer tly_a'])).toBe('tly_a');
  });
});
