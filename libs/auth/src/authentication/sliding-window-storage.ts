import { Injectable, OnModuleDestroy } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';

/** Sub-windows a window is counted in: a refusal may outlast the strict window by 1/BUCKETS of it. */
const BUCKETS = 10;

interface Counter {
  /** Hits per sub-window, a ring of BUCKETS + 1 indexed by sub-window number. */
  hits: number[];
  /** The newest sub-window counted (its number: time / sub-window length). */
  newest: number;
  /** The sub-window length these counts were made with (a changed window starts afresh). */
  bucketMs: number;
}

/**
 * A sliding-window rate limit that never lets more than `limit` hits into any window, in
 * O(1) memory per key: hits are counted per tenth of a window, and a request is counted
 * against the current tenth plus the ten before it, so the window it checks covers the
 * strict one and a little more. It errs on the side of refusing: a hit counts for at most
 * a tenth of a window longer than it strictly should. (A weighted estimate of the previous
 * window, the usual O(1) shortcut, let bursts at a window's edge through, up to twice the
 * limit; @nestjs/throttler's default storage keeps a timestamp per hit, O(hits) per request
 * for a busy key, and its `Math.min(...hits)` overflows the stack past ~100k hits.)
 */
@Injectable()
export class SlidingWindowStorage implements ThrottlerStorage, OnModuleDestroy {
  private readonly counters = new Map<string, Counter>();
  private readonly sweeper = setInterval(() => this.sweep(Date.now()), 60_000).unref();
  private longestWindowMs = 0;

  async increment(key: string, ttl: number, limit: number, _blockDuration: number, throttlerName: string) {
    // Real time, not the Clock: a rate window measures time elapsed between requests, in memory.
    return this.hit(`${throttlerName}\u0000${key}`, ttl, limit, Date.now());
  }

  /** Counts one hit at `now` unless the key is at `limit`; exposed for tests with a clock. */
  hit(key: string, windowMs: number, limit: number, now: number) {
    this.longestWindowMs = Math.max(this.longestWindowMs, windowMs);
    const bucketMs = windowMs / BUCKETS;
    const current = Math.floor(now / bucketMs);
    let c = this.counters.get(key);
    if (!c || c.bucketMs !== bucketMs) {
      c = { hits: new Array<number>(BUCKETS + 1).fill(0), newest: current, bucketMs };
      this.counters.set(key, c);
    }
    // Sub-windows passed since the last hit start at zero (all of them, after a long pause).
    for (let b = Math.max(c.newest + 1, current - BUCKETS); b <= current; b++) c.hits[b % (BUCKETS + 1)] = 0;
    // A clock that stepped back counts in the newest sub-window seen (never in a stale slot).
    const bucket = Math.max(c.newest, current);
    c.newest = bucket;
    let counted = 0;
    for (const n of c.hits) counted += n;
    const timeToExpire = Math.ceil(((bucket + 1) * bucketMs + windowMs - now) / 1000);
    if (counted >= limit) {
      return {
        totalHits: counted + 1,
        timeToExpire,
        isBlocked: true,
        timeToBlockExpire: this.wait(c, bucket, counted, limit, now),
      };
    }
    c.hits[bucket % (BUCKETS + 1)]++;
    return { totalHits: counted + 1, timeToExpire, isBlocked: false, timeToBlockExpire: 0 };
  }

  /** Seconds until enough of the oldest sub-windows have slid out for one more hit. */
  private wait(c: Counter, current: number, counted: number, limit: number, now: number): number {
    let left = counted;
    for (let b = current - BUCKETS; b <= current; b++) {
      left -= c.hits[b % (BUCKETS + 1)];
      // Sub-window b stops counting once sub-window b + BUCKETS + 1 begins.
      if (left < limit) return Math.max(1, Math.ceil(((b + BUCKETS + 1) * c.bucketMs - now) / 1000));
    }
    return Math.max(1, Math.ceil(((current + BUCKETS + 1) * c.bucketMs - now) / 1000));
  }

  /** Forgets keys idle for two windows (nothing of theirs counts by then). */
  sweep(now: number): void {
    for (const [key, c] of this.counters) {
      if (now - (c.newest + 1) * c.bucketMs >= 2 * this.longestWindowMs) this.counters.delete(key);
    }
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }
}
