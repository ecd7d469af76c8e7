/** How long a delivery is retried before its subscription is marked failing. */
export const RETRY_WINDOW_MS = 24 * 60 * 60 * 1000;
/** The longest wait between two attempts. */
export const MAX_RETRY_DELAY_MS = 60 * 60 * 1000;

/**
 * The wait before attempt `attempt + 1` (after `attempt` failures, 1-based): exponential from
 * `baseMs`, capped, with full jitter (`random` in [0, 1)) so receivers coming back are not
 * hit by every sender at once. At least `baseMs / 2`.
 */
export function retryDelayMs(attempt: number, baseMs: number, random: number): number {
  const ceiling = Math.min(MAX_RETRY_DELAY_MS, baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.max(Math.floor(baseMs / 2), Math.floor(ceiling * random));
}

/** Whether a delivery first tried at `firstAt` has used up its retry window at `now`. */
export function retriesExhausted(firstAt: Date, now: Date, windowMs = RETRY_WINDOW_MS): boolean {
  return now.getTime() - firstAt.getTime() >= windowMs;
}
