import { Inject, Injectable } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';
import { RateLimitedError, TallyEnv } from '@tally/shared';

/** Where the limit's headers go: a Fastify reply, or a gRPC call's metadata. */
export interface RateLimitHeaders {
  header(name: string, value: string): unknown;
}

/**
 * RATE_LIMIT_MAX requests per RATE_LIMIT_WINDOW_SECONDS per tracker (`key:<id>` for an
 * authenticated caller, `ip:<address>` for a request without a valid key), as a sliding
 * window kept in a ThrottlerStorage (SlidingWindowStorage, in memory: the limit holds per
 * process; a shared ThrottlerStorage, e.g. Redis, would make it cluster-wide).
 */
@Injectable()
export class RateLimiter {
  constructor(
    @Inject(ThrottlerStorage) private readonly storage: ThrottlerStorage,
    private readonly env: TallyEnv,
  ) {}

  /** Counts one request; throws DSE-012 (with its Retry-After) when over the limit. */
  async consume(tracker: string, res: RateLimitHeaders): Promise<void> {
    const limit = this.env.RATE_LIMIT_MAX;
    const windowMs = this.env.RATE_LIMIT_WINDOW_SECONDS * 1000;
    // blockDuration 0: no extra penalty; a request is refused while `limit` hits are unexpired.
    const record = await this.storage.increment(tracker, windowMs, limit, 0, 'default');
    res.header('X-RateLimit-Limit', String(limit));
    res.header('X-RateLimit-Remaining', String(Math.max(0, limit - record.totalHits)));
    if (record.isBlocked) {
      const retryAfter = Math.max(1, record.timeToBlockExpire);
      res.header('Retry-After', String(retryAfter));
      throw new RateLimitedError(retryAfter);
    }
  }
}
