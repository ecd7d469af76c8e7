import { batchesOf, chainsOf, type Batch, type BatchingOptions } from './jsonl-batches';

async function* from(lines: string[]): AsyncGenerator<string> {
  yield* lines;
}

async function all(lines: string[], options: BatchingOptions): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const batch of batchesOf(from(lines), options)) out.push(batch);
  return out;
}

const item = (id: string, linked = false) => JSON.stringify({ id, kind: 'mint', linked });
const shape = (batches: Batch[]) =>
  batches.map((b) => ({
    lines: b.items.map((i) => i.line),
    local: b.local.map((r) => [r.line, r.reason]),
    last: b.lastLine,
  }));

describe('batchesOf', () => {
  it('cuts batches at the size, never inside a chain, and says the last line each covers', async () => {
    // Lines 1-2 single, 3-5 a chain, 6 single, 7-8 a chain.
    const lines = [
      item('a'),
      item('b'),
      item('c', true),
      item('d', true),
      item('e'),
      item('f'),
      item('g', true),
      item('h'),
    ];
    expect(shape(await all(lines, { batchSize: 3 }))).toEqual([
      { lines: [1, 2], local: [], last: 2 },
      { lines: [3, 4, 5], local: [], last: 5 },
      { lines: [6, 7, 8], local: [], last: 8 },
    ]);
  });

  it('sends a chain longer than the batch size alone, and a chain open at the end as it is', async () => {
    const lines = [item('a'), item('b', true), item('c', true), item('d'), item('e', true)];
    expect(shape(await all(lines, { batchSize: 2 }))).toEqual([
      { lines: [1], local: [], last: 1 },
      { lines: [2, 3, 4], local: [], last: 4 },
      { lines: [5], local: [], last: 5 },
    ]);
  });

  it('rejects lines that are not JSON objects, failing the chain they interrupt; skips blank lines', async () => {
    const lines = [item('a'), '{nope', '', item('b', true), '[1]', item('c'), '   '];
    const batches = await all(lines, { batchSize: 10 });
    expect(shape(batches)).toEqual([
      {
        lines: [1, 6],
        local: [
          [2, 'malformed'],
          [4, 'linked_event_failed'],
          [5, 'malformed'],
        ],
        last: 7,
      },
    ]);
    expect(batches[0].local.map((r) => r.code)).toEqual(['DSE-001', 'DSE-010', 'DSE-001']);
    expect(batches[0].local[1].id).toBe('b');
  });

  it('starts after the lines a resume skips', async () => {
    const lines = [item('a'), item('b'), item('c'), item('d')];
    expect(shape(await all(lines, { batchSize: 10, skipThrough: 2 }))).toEqual([{ lines: [3, 4], local: [], last: 4 }]);
  });

  it('closes a batch before it passes the byte limit', async () => {
    const lines = [item('a'), item('b'), item('c')];
    const size = Buffer.byteLength(lines[0]) + 1;
    expect(shape(await all(lines, { batchSize: 10, maxBytes: size * 2 }))).toEqual([
      { lines: [1, 2], local: [], last: 2 },
      { lines: [3], local: [], last: 3 },
    ]);
  });

  it('rejects a chain too long for one request whole', async () => {
    const lines = [item('a', true), item('b', true), item('c'), item('d')];
    const size = Buffer.byteLength(lines[0]) + 1;
    expect(shape(await all(lines, { batchSize: 10, maxBytes: size * 2 }))).toEqual([
      {
        lines: [4],
        local: [
          [1, 'chain_too_long'],
          [2, 'linked_event_failed'],
          [3, 'linked_event_failed'],
        ],
        last: 4,
      },
    ]);
  });

  it('chainsOf splits items into whole chains', () => {
    const line = (n: number, linked: boolean) => ({ line: n, id: null, text: '', linked });
    expect(
      chainsOf([line(1, false), line(2, true), line(3, false), line(4, true)]).map((u) => u.map((i) => i.line)),
    ).toEqual([[1], [2, 3], [4]]);
  });
});
