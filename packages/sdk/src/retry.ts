/** How requests are retried: on network errors, 429 and 5xx, with the same Idempotency-Key. */
export interface RetryOptions {
  /** Retries after the first attempt (default 3); 0 turns retrying off. */
  retries?: number;
  /** First backoff in ms, doubled each retry, with jitter (default 200). */
  baseDelayMs?: number;
  /** Cap of one wait, a Retry-After included (default 10 000). */
  maxDelayMs?: number;
}

const MUTATIONS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Statuses after which the same request may succeed: rate limited, or the server failed or was unavailable. */
const RETRYABLE = new Set([429, 500, 502, 503, 504]);

export type FetchLike = (request: Request) => Promise<Response>;

/**
 * A fetch that gives every mutation an Idempotency-Key (a fresh UUID unless the request has
 * one) and retries network errors and retryable statuses with that same key, so a request
 * whose answer was lost is applied once. Retry-After (seconds) is respected, up to the cap.
 */
export function retryingFetch(fetchImpl: FetchLike, options: RetryOptions = {}): FetchLike {
  const retries = options.retries ?? 3;
  const base = options.baseDelayMs ?? 200;
  const cap = options.maxDelayMs ?? 10_000;
  return async (request) => {
    if (MUTATIONS.has(request.method) && !request.headers.has('Idempotency-Key')) {
      request.headers.set('Idempotency-Key', globalThis.crypto.randomUUID());
    }
    for (let attempt = 0; ; attempt++) {
      const last = attempt >= retries;
      // A body can be read once: every attempt but the last sends a copy.
      const sent = last ? request : request.clone();
      let response: Response;
      try {
        response = await fetchImpl(sent);
      } catch (error) {
        if (last || request.signal.aborted) throw error;
        await sleep(backoff(attempt, base, cap), request.signal);
        continue;
      }
      if (last || !RETRYABLE.has(response.status)) return response;
      const wait = retryAfterMs(response) ?? backoff(attempt, base, cap);
      await response.body?.cancel();
      await sleep(Math.min(wait, cap), request.signal);
    }
  };
}

function backoff(attempt: number, base: number, cap: number): number {
  const ceiling = Math.min(cap, base * 2 ** attempt);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** Retry-After as seconds (what Tally sends) or an HTTP date. */
function retryAfterMs(response: Response): number | undefined {
  const value = response.headers.get('Retry-After');
  if (value === null) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', abort);
      resolve();
    }, ms);
    const abort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', abort, { once: true });
  });
}
