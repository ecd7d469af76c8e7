import { SlidingWindowStorage } from './sliding-window-storage';

describe('SlidingWindowStorage', () => {
  const storage = new SlidingWindowStorage();
  afterAll(() => storage.onModuleDestroy());

  it('allows exactly `limit` hits in a fresh window, then blocks with a wait', () => {
    const results = Array.from({ length: 6 }, () => storage.hit('a', 1000, 5, 10_000));
    expect(results.map((r) => r.isBlocked)).toEqual([false, false, false, false, false, true]);
    expect(results[4].totalHits).toBe(5);
    expect(results[5].timeToBlockExpire).toBeGreaterThanOrEqual(1);
  });

  it('weights the previous window by its overlap with the sliding window', () => {
    for (let i = 0; i < 10; i++) storage.hit('b', 1000, 10, 0);
    // 25% into the next window, 75% of the previous 10 hits still count (7.5): 3 more fit.
    const next = Array.from({ length: 4 }, () => storage.hit('b', 1000, 10, 1250));
    expect(next.map((r) => r.isBlocked)).toEqual([false, false, false, true]);
    // Once the previous window has slid out entirely, the full limit is available again.
    const later = Array.from({ length: 10 }, () => storage.hit('b', 1000, 10, 3100));
    expect(later.every((r) => !r.isBlocked)).toBe(true);
  });

  it('keeps each key apart and forgets idle keys', () => {
    storage.hit('c', 1000, 1, 0);
    expect(storage.hit('c', 1000, 1, 1).isBlocked).toBe(true);
    expect(storage.hit('d', 1000, 1, 1).isBlocked).toBe(false);
    storage.sweep(10_000);
    expect(storage.hit('c', 1000, 1, 10_001).isBlocked).toBe(false);
  });

  it('stays O(1) for a key with a huge limit (the default storage overflowed the stack)', () => {
    for (let i = 0; i < 300_000; i++) storage.hit('hot', 60_000, 100_000_000, 20_000 + (i % 1000));
    expect(storage.hit('hot', 60_000, 100_000_000, 21_000).totalHits).toBe(300_001);
  });
});
