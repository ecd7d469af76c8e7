import { GroupCommit, Settled } from './group-commit';

/** A writer whose batches finish when the test says so. */
function gatedWriter() {
  const batches: number[][] = [];
  const gates: (() => void)[] = [];
  const write = async (items: number[]): Promise<Settled<number>[]> => {
    batches.push(items);
    await new Promise<void>((release) => gates.push(release));
    return items.map((n) => (n < 0 ? { error: new Error(`negative ${n}`) } : { value: n * 10 }));
  };
  const releaseAll = async () => {
    while (gates.length > 0) {
      gates.shift()!();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { batches, write, releaseAll };
}

describe('GroupCommit', () => {
  it('writes an idle call at once and batches what arrives while a batch is in flight', async () => {
    const w = gatedWriter();
    const gc = new GroupCommit(w.write);
    const first = gc.submit(1);
    const rest = [2, 3, 4].map((n) => gc.submit(n));
    expect(w.batches).toEqual([[1]]);
    await w.releaseAll();
    expect(await first).toBe(10);
    expect(await Promise.all(rest)).toEqual([20, 30, 40]);
    expect(w.batches).toEqual([[1], [2, 3, 4]]);
    expect(gc.counts).toEqual({ batches: 2, items: 4, split: 0 });
  });

  it('tells onBatch of each batch as it starts: its size and its oldest item’s wait', async () => {
    const w = gatedWriter();
    const seen: [number, number][] = [];
    const gc = new GroupCommit(w.write, { onBatch: (size, waited) => seen.push([size, waited]) });
    const all = [gc.submit(1)];
    await new Promise((r) => setTimeout(r, 20));
    all.push(...[2, 3].map((n) => gc.submit(n)));
    await w.releaseAll();
    await Promise.all(all);
    expect(seen.map(([size]) => size)).toEqual([1, 2]);
    expect(seen[0][1]).toBeLessThan(0.01); // written at once
    expect(seen[1][1]).toBeGreaterThanOrEqual(0); // waited for the first batch
    for (const [, waited] of seen) expect(waited).toBeLessThan(1);
  });

  it("answers each item on its own: one item's error rejects only that call", async () => {
    const w = gatedWriter();
    const gc = new GroupCommit(w.write);
    const calls = [5, -1, 6].map((n) => gc.submit(n).then(String, (e: Error) => e.message));
    await w.releaseAll();
    expect(await Promise.all(calls)).toEqual(['50', 'negative -1', '60']);
  });

  it('splits a batch whose write throws, writing each item alone', async () => {
    const seen: number[][] = [];
    const gc = new GroupCommit<number, number>(
      async (items) => {
        seen.push(items);
        await new Promise((r) => setImmediate(r));
        if (items.includes(13)) throw new Error('thirteen');
        return items.map((n) => ({ value: n }));
      },
      { maxBatch: 10 },
    );
    const blocker = gc.submit(0);
    const calls = [12, 13, 14].map((n) => gc.submit(n).then(String, (e: Error) => e.message));
    await blocker;
    expect(await Promise.all(calls)).toEqual(['12', 'thirteen', '14']);
    expect(seen).toEqual([[0], [12, 13, 14], [12], [13], [14]]);
    expect(gc.counts.split).toBe(1);
  });

  it('respects maxBatch and maxInFlight', async () => {
    const w = gatedWriter();
    const gc = new GroupCommit(w.write, { maxBatch: 2, maxInFlight: 2 });
    const calls = [1, 2, 3, 4, 5].map((n) => gc.submit(n));
    // Two batches in flight (a call each, as they came), the rest waits, then goes two at a time.
    expect(w.batches).toEqual([[1], [2]]);
    await w.releaseAll();
    await Promise.all(calls);
    expect(w.batches).toEqual([[1], [2], [3, 4], [5]]);
  });

  it('with mayStartWhileBusy false, a batch waits for those in flight (and grows), never when idle', async () => {
    const w = gatedWriter();
    // Even items must be written alone in time; odd ones may overlap.
    const gc = new GroupCommit(w.write, {
      maxInFlight: 3,
      mayStartWhileBusy: (next) => next.every((n) => n % 2 === 1),
    });
    const calls = [2, 1, 4, 6].map((n) => gc.submit(n));
    // 2 goes at once (nothing in flight), 1 beside it; 4 waits for both, and 6 joins it.
    expect(w.batches).toEqual([[2], [1]]);
    await w.releaseAll();
    await Promise.all(calls);
    expect(w.batches).toEqual([[2], [1], [4, 6]]);
    const odd = [3, 5].map((n) => gc.submit(n));
    const more = gc.submit(7); // [3] in flight, [5] started beside it, 7 too: odd batches may overlap
    expect(w.batches.slice(3)).toEqual([[3], [5], [7]]);
    await w.releaseAll();
    await Promise.all([...odd, more]);
  });

  it('asks mayStartWhileBusy again as a waiting batch grows, with the same array grown at its end', async () => {
    const w = gatedWriter();
    const asked: { list: readonly number[]; items: number[] }[] = [];
    const gc = new GroupCommit(w.write, {
      maxInFlight: 2,
      maxBatch: 3,
      mayStartWhileBusy: (next) => {
        asked.push({ list: next, items: [...next] });
        return false;
      },
    });
    const calls = [1, 2, 3, 4, 5].map((n) => gc.submit(n));
    expect(asked.map((a) => a.items)).toEqual([[2], [2, 3], [2, 3, 4], [2, 3, 4]]);
    expect(new Set(asked.map((a) => a.list)).size).toBe(1);
    await w.releaseAll();
    await Promise.all(calls);
    expect(w.batches).toEqual([[1], [2, 3, 4], [5]]);
  });

  it('writes inline calls at once, alone, and idle() waits for the queue to empty', async () => {
    const w = gatedWriter();
    let inline = false;
    const gc = new GroupCommit(w.write, { inline: () => inline });
    const queued = [gc.submit(1), gc.submit(2)];
    inline = true;
    const direct = gc.submit(3);
    expect(w.batches).toEqual([[1], [3]]);
    let idle = false;
    const idled = gc.idle().then(() => (idle = true));
    await w.releaseAll();
    expect(await direct).toBe(30);
    await Promise.all(queued);
    await idled;
    expect(idle).toBe(true);
    expect(w.batches).toEqual([[1], [3], [2]]);
  });

  it('with lingerMs, an idle writer waits that long and writes what came meanwhile as one batch', async () => {
    jest.useFakeTimers();
    try {
      const seen: number[][] = [];
      const gc = new GroupCommit<number, number>(
        async (items) => {
          seen.push(items);
          return items.map((n) => ({ value: n }));
        },
        { lingerMs: 50 },
      );
      const calls = [1, 2, 3].map((n) => gc.submit(n));
      expect(seen).toEqual([]);
      await jest.advanceTimersByTimeAsync(49);
      expect(seen).toEqual([]);
      await jest.advanceTimersByTimeAsync(1);
      expect(await Promise.all(calls)).toEqual([1, 2, 3]);
      expect(seen).toEqual([[1, 2, 3]]);
      // idle() does not wait out the linger: it writes at once.
      const late = gc.submit(4);
      await gc.idle();
      expect(await late).toBe(4);
      expect(seen).toEqual([[1, 2, 3], [4]]);
    } finally {
      jest.useRealTimers();
    }
  });
});
