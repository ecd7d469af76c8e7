import { shapeOf } from './json-body';

describe('shapeOf', () => {
  it.each([
    ['{"amount":"1","amount":"1000"}', 'amount'],
    ['{"a":{"b":1,"c":2,"b":3}}', 'b'],
    ['{"amount":"1","\\u0061mount":"2"}', 'amount'], // the same key, escaped
    ['[{"x":1},{"y":1,"y":2}]', 'y'],
    ['{"k":"{\\"k\\":1}","k":2}', 'k'], // braces and quotes inside a string are text
  ])('finds the key %s names twice', (text, key) => {
    expect(shapeOf(text).duplicateKey).toBe(key);
  });

  it.each([
    '{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}',
    '{"a":"a","b":["a","a"],"c":{}}',
    '{"a":{},"b":[],"c":[[{"a":1}]],"d":"\\"a\\":1,\\"a\\":2"}',
    '{}',
  ])('finds none in %s (the same key in different objects, or as a value)', (text) => {
    expect(shapeOf(text).duplicateKey).toBeUndefined();
  });

  it.each([
    ['{}', 1],
    ['{"a":[1,{"b":[]}]}', 4],
    ['{"a":"[[[{{{","b":{}}', 2], // brackets inside a string are text
    [`${'['.repeat(70)}${']'.repeat(70)}`, 70],
  ])('measures the nesting of %s as %d', (text, deepest) => {
    expect(shapeOf(text).deepest).toBe(deepest);
  });
});
