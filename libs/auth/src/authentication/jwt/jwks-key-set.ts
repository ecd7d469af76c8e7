import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  type FetchImplementation,
  type JWTVerifyGetKey,
} from 'jose';

/** A JWKS is a handful of public keys; anything much larger is not one. */
const MAX_JWKS_BYTES = 1 << 20;

/** The JWKS could not be read (or read back as a key set); JWT requests answer 503 meanwhile. */
export class JwksUnavailableError extends Error {
  constructor(
    reason: string,
    readonly retryAfterSeconds: number,
  ) {
    super(`the JWKS could not be read: ${reason}`);
  }
}

export interface JwksOptions {
  /** Where the key set is: an http(s) URL or a file (exactly one). */
  source: { url: string } | { file: string };
  /** A key set older than this is read again before a token is checked against it. */
  cacheTtlMs: number;
  /** The least time between two reads, after a success or a failure. */
  cooldownMs: number;
  timeoutMs: number;
  /** Told once per failed read (not per request refused while reads are held off). */
  onReadFailure?: (error: JwksUnavailableError) => void;
}

/**
 * The key set tokens are verified against: jose's remote JWKS set, which keeps the set for
 * `cacheTtlMs`, reads it again at once for a kid it does not hold (unless it read within the
 * cooldown: a stream of made-up kids cannot make it read more often), and shares one read
 * among concurrent requests. Both sources go through that one cache: a file is handed to jose
 * as if fetched. So a kid added is accepted at its first use (or after the cooldown), and a
 * kid removed stops verifying within the TTL.
 *
 * A failed read (unreachable, timed out, not 200, not a key set) is not retried for the
 * cooldown either, so a down identity provider is not hammered once per request; a stale set
 * is never used in its place (a removed kid must not verify because its issuer is down).
 */
export function createJwksKeySet(options: JwksOptions): JWTVerifyGetKey {
  const { source, cooldownMs } = options;
  let readsHeldUntil = 0;
  const read: FetchImplementation = async (url, init) => {
    const now = Date.now();
    if (now < readsHeldUntil) {
      throw new JwksUnavailableError('the last read failed; not retried yet', secondsUntil(readsHeldUntil, now));
    }
    try {
      const text = 'file' in source ? await readJwksFile(source.file, init.signal) : await fetchJwks(url, init);
      // jose parses it again; this checks it before it can replace the key set held.
      createLocalJWKSet(JSON.parse(text));
      return new Response(text, { status: 200, headers: { 'content-type': 'application/json' } });
    } catch (cause) {
      readsHeldUntil = Date.now() + cooldownMs;
      const error = new JwksUnavailableError(describe(cause), secondsUntil(readsHeldUntil, Date.now()));
      options.onReadFailure?.(error);
      throw error;
    }
  };
  const url = 'file' in source ? pathToFileURL(source.file) : new URL(source.url);
  return createRemoteJWKSet(url, {
    cacheMaxAge: options.cacheTtlMs,
    cooldownDuration: options.cooldownMs,
    timeoutDuration: options.timeoutMs,
    [customFetch]: read,
  });
}

async function fetchJwks(url: string, init: Parameters<FetchImplementation>[1]): Promise<string> {
  const response = await fetch(url, init);
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new Error(`HTTP ${response.status} from the JWKS URL`);
  }
  const length = Number(response.headers.get('content-length') ?? 0);
  if (length > MAX_JWKS_BYTES) throw new Error(`the JWKS is over ${MAX_JWKS_BYTES} bytes`);
  const text = await response.text();
  if (text.length > MAX_JWKS_BYTES) throw new Error(`the JWKS is over ${MAX_JWKS_BYTES} bytes`);
  return text;
}

async function readJwksFile(file: string, signal: AbortSignal): Promise<string> {
  const text = await readFile(file, { encoding: 'utf8', signal });
  if (text.length > MAX_JWKS_BYTES) throw new Error(`the JWKS file is over ${MAX_JWKS_BYTES} bytes`);
  return text;
}

function describe(cause: unknown): string {
  // The abort is a DOMException, not always an Error of this realm: read its name.
  if ((cause as { name?: unknown } | null)?.name === 'TimeoutError') return 'timed out';
  if (cause instanceof SyntaxError) return 'not JSON';
  if (cause instanceof Error) {
    const code = (cause.cause as { code?: unknown } | undefined)?.code ?? (cause as { code?: unknown }).code;
    return typeof code === 'string' ? `${cause.message} (${code})` : cause.message;
  }
  return String(cause);
}

/** Whole seconds until `at`, at least 1 (a Retry-After of 0 would invite an immediate retry). */
function secondsUntil(at: number, now: number): number {
  return Math.max(1, Math.ceil((at - now) / 1000));
}
