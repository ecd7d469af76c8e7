import { firstDuplicateKey } from './json-body';

describe('firstDuplicateKey', () => {
  it.each([
    ['{"amount":"1","amount":"1000"}', 'amount'],
    ['{"a":{"b":1,"c":2,"b":3}}', 'b'],
    ['{"amount":"1","\\u0061mount":"2"}', 'amount'], // the same key, escaped
    ['[{"x":1},{"y":1,"y":2}]', 'y'],
    ['{"k":"{\\"k\\":1}","k":2}', 'k'], // braces and quotes inside a string are text
  ])('finds the key %s names twice', (text, key) => {
    expect(firstDuplicateKey(text)).toBe(key);
  });

  it.each([
    '{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}',
    '{"a":"a","b":["a","a"],"c":{}}',
    '{"a":{},"b":[],"c":[[{"a":1}]],"d":"\\"a\\":1,\\"a\\":2"}',
    '{}',
  ])('finds none in %s (the same key in different objects, or as a value)', (text) => {
    expect(firstDuplicateKey(text)).toBeUndefined();
  });
});
