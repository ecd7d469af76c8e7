/** The logger a background loop reports to (Nest's Logger fits). */
export interface LoopLogger {
  error(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  log(fields: object, message: string): void;
}

/** A loop's failure as an operator sees it: its message and when (epoch ms). */
export interface LoopFailure {
  message: string;
  at: number;
}

export interface LoopBackoffOptions {
  /** The wait after the first failure in a row, doubling with each further one (default 100 ms). */
  baseMs?: number;
  /** The longest wait between attempts (default 1 s, so work resumes within a second of the cause going away). */
  maxMs?: number;
  /** While failures go on, one reminder per this many ms (default 60 s). */
  remindEveryMs?: number;
  now?: () => number;
}

/**
 * How a background loop (a relay, a tick, a sweep) lives through failures, such as the
 * database going away: after each failure in a row it waits longer before the next
 * attempt (doubling up to `maxMs`), and it logs the first failure with its cause, a
 * reminder a minute while they go on, and the recovery, so an outage writes a few lines
 * rather than one per tick. A failure is never swallowed: the first one is logged at
 * error level with the whole error, whatever its cause.
 */
export class LoopBackoff {
  private failures = 0;
  private firstAt = 0;
  private remindedAt = 0;
  private until = 0;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly remindEveryMs: number;
  private readonly now: () => number;
  private succeededAt?: number;
  private lastFailure?: LoopFailure;

  constructor(
    private readonly what: string,
    private readonly logger: LoopLogger,
    options: LoopBackoffOptions = {},
  ) {
    this.baseMs = options.baseMs ?? 100;
    this.maxMs = options.maxMs ?? 1000;
    this.remindEveryMs = options.remindEveryMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /** When the loop last completed a run (epoch ms); undefined before its first. */
  get lastSucceededAt(): number | undefined {
    return this.succeededAt;
  }

  /** The last failure (kept after a recovery, so an operator sees what happened last). */
  get lastError(): LoopFailure | undefined {
    return this.lastFailure;
  }

  /** True while the loop should not try again yet. */
  get waiting(): boolean {
    return this.now() < this.until;
  }

  /** Milliseconds until the next attempt may start (0: now). */
  get delayMs(): number {
    return Math.max(0, this.until - this.now());
  }

  /** Failures in a row so far. */
  get failuresInRow(): number {
    return this.failures;
  }

  failed(error: unknown): void {
    const now = this.now();
    this.failures++;
    this.lastFailure = { message: error instanceof Error ? error.message : String(error), at: now };
    if (this.failures === 1) {
      this.firstAt = this.remindedAt = now;
      this.logger.error({ err: error }, `${this.what} failed; retrying with backoff`);
    } else if (now - this.remindedAt >= this.remindEveryMs) {
      this.remindedAt = now;
      this.logger.warn(
        {
          err: error instanceof Error ? error.message : String(error),
          failures: this.failures,
          for_ms: now - this.firstAt,
        },
        `${this.what} still failing`,
      );
    }
    this.until = now + Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.failures - 1, 30));
  }

  succeeded(): void {
    if (this.failures > 0) {
      this.logger.log(
        { failures: this.failures, for_ms: this.now() - this.firstAt },
        `${this.what} resumed after ${this.failures} failed attempts`,
      );
    }
    this.failures = 0;
    this.until = 0;
    this.succeededAt = this.now();
  }
}

/** What a background loop tells readiness: its name, how often it should complete, and its last run. */
export interface LoopLiveness {
  /** e.g. `scheduler.assign`. */
  name: string;
  /** How often it runs; undefined for a loop on a calendar (a cron), which has no staleness bound. */
  intervalMs?: number;
  /**
   * Epoch ms of its last completed run, or of its start if it has not completed one yet: a
   * loop that stops completing runs (a stuck timer, a run that never ends, failures in a row)
   * shows as an age that keeps growing, which readiness compares with its interval.
   */
  lastSucceededAt: number;
  lastError?: LoopFailure;
}

export function loopLiveness(name: string, backoff: LoopBackoff, startedAt: number, intervalMs?: number): LoopLiveness {
  return { name, intervalMs, lastSucceededAt: backoff.lastSucceededAt ?? startedAt, lastError: backoff.lastError };
}
