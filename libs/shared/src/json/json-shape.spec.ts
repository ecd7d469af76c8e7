import { shapeOf } from './json-shape';

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
    '{"a":[{},"a"],"b":[{"a":1},"a",{}]}', // a string after an object in an array is a value
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

describe('shapeOf: numbers JSON.parse cannot read as written', () => {
  it.each([
    ['{"metadata":{"a":1e400}}', 'metadata.a', '1e400'],
    ['{"payload":-1E309}', 'payload', '-1E309'],
    ['{"a":[1,2,{"b":[0,1e-400]}]}', 'a.2.b.1', '1e-400'],
    ['{"a":"1e400","b":1e+400}', 'b', '1e+400'], // the string is text
    [`{"n":1${'0'.repeat(400)}}`, 'n', `1${'0'.repeat(400)}`],
    [`{"n":0.${'0'.repeat(400)}1}`, 'n', `0.${'0'.repeat(400)}1`],
    ['{"a\\"b":[1e999]}', 'a"b.0', '1e999'], // the key as decoded
    ['{"a":[{},"x",{"b":1},2e400]}', 'a.3', '2e400'],
  ])('finds %s at %s', (text, field, number) => {
    expect(shapeOf(text).unreadableNumber).toEqual({ field, text: number });
  });

  it.each([
    '{"a":1e308,"b":-1.7976931348623157e308,"c":5e-324}',
    '{"a":0e400,"b":-0,"c":0.0e-999,"d":0.000}',
    `{"a":${'9'.repeat(300)}}`,
    '{"a":[1,2.5,-3e-5,{"b":12E3}]}',
  ])('finds none in %s (finite, and 0 only where written as 0)', (text) => {
    expect(shapeOf(text).unreadableNumber).toBeUndefined();
  });
});

describe('shapeOf: nesting past a limit', () => {
  it.each([
    ['{"a":{"b":[1,[2]]}}', 3, 'a.b.1'],
    ['{"a":[{},{"b":{}}]}', 3, 'a.1.b'],
    [`{"m":${'['.repeat(70)}${']'.repeat(70)}}`, 64, `m${'.0'.repeat(63)}`],
  ])('finds %s past %d levels at %s', (text, limit, field) => {
    expect(shapeOf(text, limit).tooDeep).toEqual({ field });
  });

  it('finds nothing at the limit itself', () => {
    expect(shapeOf('{"a":{"b":[1,[2]]}}', 4).tooDeep).toBeUndefined();
  });
});
