import { IDENTIFIER_PATTERN } from './ids';

describe('IDENTIFIER_PATTERN', () => {
  it('takes 1-128 of A-Z a-z 0-9 . _ : @ -, "..." and dotted names included', () => {
    for (const id of ['a', 'prover-eu-1', 'a.b', '...', '.hidden', 'x..', 'u@example.com', 'x'.repeat(128)]) {
      expect(IDENTIFIER_PATTERN.test(id)).toBe(true);
    }
  });

  it('refuses "." and "..", which a URL path resolves away, and anything outside the alphabet', () => {
    for (const id of ['.', '..', '', 'x'.repeat(129), 'a b', 'a/b', 'é', '..\n']) {
      expect(IDENTIFIER_PATTERN.test(id)).toBe(false);
    }
  });
});
