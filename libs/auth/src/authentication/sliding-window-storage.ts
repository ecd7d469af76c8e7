import { Injectable, OnModuleDestroy } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';

interface Counter {
  /** Start of the current fixed window (ms). */
  start: number;
  current: number;
  previous: number;
}

/**
 * A sliding-window rate limit in O(1) time and memory per key: the hits of the current
 * fixed window plus the previous window's hits weighted by how much of it still overlaps
 * the sliding window. @nestjs/throttler's default storage keeps one timestamp per hit and
 * filters them on every request, which costs O(hits) per request for a busy key (and its
 * `Math.min(...hits)` overflows the stack past ~100k hits in a window).
 */
@Injectable()
export class SlidingWindowStorage implements ThrottlerStorage, OnModuleDestroy {
  private readonly counters = new Map<string, Counter>();
  private readonly sweeper = setInterval(() => this.sweep(Date.now()), 60_000).unref();
  private longestWindowMs = 0;

  async increment(key: string, ttl: number, limit: number, _blockDuration: number, throttlerName: string) {
    return this.hit(`${throttlerName}\u0000${key}`, ttl, limit, Date.now());
  }

  /** Counts one hit at `now` unless the key is over `limit`; exposed for tests with a clock. */
  hit(key: string, windowMs: number, limit: number, now: number) {
    this.longestWindowMs = Math.max(this.longestWindowMs, windowMs);
    let c = this.counters.get(key);
    if (!c) {
      c = { start: now, current: 0, previous: 0 };
      this.counters.set(key, c);
    }
    const elapsedWindows = Math.floor((now - c.start) / windowMs);
    if (elapsedWindows >= 1) {
      c.previous = elapsedWindows === 1 ? c.current : 0;
      c.current = 0;
      c.start += elapsedWindows * windowMs;
    }
    const overlap = 1 - (now - c.start) / windowMs;
    const estimate = c.previous * overlap + c.current;
    const timeToExpire = Math.ceil((c.start + windowMs - now) / 1000);
    if (estimate >= limit) {
      return {
        totalHits: Math.ceil(estimate) + 1,
        timeToExpire,
        isBlocked: true,
        timeToBlockExpire: this.wait(c, windowMs, limit, now),
      };
    }
    c.current++;
    return { totalHits: Math.ceil(estimate) + 1, timeToExpire, isBlocked: false, timeToBlockExpire: 0 };
  }

  /** Seconds until the weighted estimate falls below the limit (the previous window's weight decays). */
  private wait(c: Counter, windowMs: number, limit: number, now: number): number {
    const windowEnd = c.start + windowMs;
    if (c.previous > 0 && c.current < limit) {
      // previous * (1 - (t - start)/window) + current < limit  ⇔  t > start + window * (1 - (limit - current)/previous)
      const t = c.start + windowMs * (1 - (limit - c.current) / c.previous);
      return Math.max(1, Math.ceil((t - now) / 1000));
    }
    // Over the limit within this window alone: it clears as this window's weight decays in the next.
    const t = windowEnd + windowMs * (1 - limit / Math.max(c.current, limit));
    return Math.max(1, Math.ceil((t - now) / 1000));
  }

  /** Forgets keys idle for two windows (their weight is zero by then). */
  sweep(now: number): void {
    for (const [key, c] of this.counters) {
      if (now - c.start >= 2 * this.longestWindowMs) this.counters.delete(key);
    }
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }
}
