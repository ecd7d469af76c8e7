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

  it("a burst at a window's end is not followed by another at the next one's start", () => {
    for (let i = 0; i < 10; i++) expect(storage.hit('edge', 1000, 10, 990).isBlocked).toBe(false);
    expect(storage.hit('edge', 1000, 10, 1010).isBlocked).toBe(true);
    // The burst's tenth of the window (900-999) counts until 2000: at most a tenth late.
    expect(storage.hit('edge', 1000, 10, 1999).isBlocked).toBe(true);
    const later = Array.from({ length: 11 }, () => storage.hit('edge', 1000, 10, 2000));
    expect(later.map((r) => r.isBlocked)).toEqual([...Array(10).fill(false), true]);
  });

  it('never lets more than `limit` hits into any window, whatever their timing', () => {
    // A deterministic pseudo-random walk of hit times: bursts and pauses.
    let seed = 7;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const windowMs = 1000;
    const limit = 20;
    const allowed: number[] = [];
    let now = 50_000;
    for (let i = 0; i < 20_000; i++) {
      now += random() < 0.9 ? Math.floor(random() * 5) : Math.floor(random() * 600);
      if (!storage.hit('walk', windowMs, limit, now).isBlocked) allowed.push(now);
    }
    let first = 0;
    for (let last = 0; last < allowed.length; last++) {
      while (allowed[first] <= allowed[last] - windowMs) first++;
      expect(last - first + 1).toBeLessThanOrEqual(limit);
    }
    // And it is not stingy: over the run, most of the limit was used.
    expect(allowed.length).toBeGreaterThan(((now - 50_000) / windowMs) * limit * 0.5);
  });

  it('a refused caller that waits the Retry-After it was given gets in', () => {
    for (let i = 0; i < 3; i++) storage.hit('retry', 10_000, 3, 100_000 + i * 1000);
    const refused = storage.hit('retry', 10_000, 3, 104_500);
    expect(refused.isBlocked).toBe(true);
    const at = 104_500 + refused.timeToBlockExpire * 1000;
    expect(storage.hit('retry', 10_000, 3, at - 1000).isBlocked).toBe(true);
    expect(storage.hit('retry', 10_000, 3, at).isBlocked).toBe(false);
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
