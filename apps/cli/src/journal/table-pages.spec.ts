import { compareKeys, type KeyColumn } from './table-pages';

const number: KeyColumn = { name: 'seq', type: 'bigint', numeric: true };
const text: KeyColumn = { name: 'scope', type: 'character varying(160)', numeric: false };

describe('compareKeys (the order diff merges two databases in)', () => {
  it('orders int64 keys as numbers, beyond what a JavaScript number holds', () => {
    expect(compareKeys([number], ['9'], ['10'])).toBe(-1);
    expect(compareKeys([number], ['9223372036854775807'], ['9223372036854775806'])).toBe(1);
    expect(compareKeys([number], ['-1'], ['0'])).toBe(-1);
  });

  it('orders text byte by byte, as COLLATE "C" does on every server', () => {
    expect(compareKeys([text], ['B'], ['a'])).toBe(-1);
    expect(compareKeys([text], ['z'], ['é'])).toBe(-1);
    expect(compareKeys([text], ['ab'], ['abc'])).toBe(-1);
  });

  it('compares composite keys column by column', () => {
    expect(compareKeys([number, text], ['2', 'a'], ['2', 'b'])).toBe(-1);
    expect(compareKeys([number, text], ['3', 'a'], ['2', 'z'])).toBe(1);
    expect(compareKeys([number, text], ['2', 'a'], ['2', 'a'])).toBe(0);
  });
});
