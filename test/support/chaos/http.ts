/** An HTTP answer as a fault test sees it: the status, the headers it checks, the JSON body. */
export interface Answer {
  status: number;
  retryAfter: string | null;
  contentType: string | null;
  replayed: boolean;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/** No answer at all: the connection was refused, reset, or timed out (the request may or may not have run). */
export interface NoAnswer {
  error: string;
}

export interface CallOptions {
  headers?: Record<string, string>;
  body?: unknown;
  /** Gives up on the answer after this long (a long poll adds its wait). */
  timeoutMs?: number;
}

/** One request to `base + path`, never throwing: a missing answer is a NoAnswer. */
export async function call(
  base: string,
  method: string,
  path: string,
  { headers = {}, body, timeoutMs = 15_000 }: CallOptions = {},
): Promise<Answer | NoAnswer> {
  try {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: kept as text for the report
    }
    return {
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      contentType: res.headers.get('content-type'),
      replayed: res.headers.get('idempotent-replayed') === 'true',
      body: parsed,
    };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { error: cause?.code ?? cause?.message ?? (error as Error).name ?? String(error) };
  }
}

export const answered = (a: Answer | NoAnswer): a is Answer => !('error' in a);

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
