import { createHmac, timingSafeEqual } from 'node:crypto';
import { hashApiKey } from './api-key-secret';

/**
 * HMAC request signatures for keys created with `require_signature` (prover keys).
 *
 * The server stores only sha256(key), so the signing secret is defined as the hex SHA-256
 * of the API key: the client computes it locally from its key; the server uses the stored
 * hash. Each request carries
 *   X-Timestamp: unix seconds, within ±5 minutes of the server's clock
 *   X-Signature: hex HMAC-SHA256(secret, `${timestamp}\n${METHOD}\n${path+query}\n${raw body}`)
 * and each signature is accepted once (so two identical requests within the same second
 * need something to tell them apart, e.g. a query parameter). The signature proves the
 * request was made by a holder of the key, unaltered and recently; it is not a second
 * secret (it derives from the key).
 */
export const SIGNATURE_WINDOW_SECONDS = 300;

export interface SignatureInput {
  /** Unix seconds, as sent in X-Timestamp. */
  timestamp: number | string;
  method: string;
  /** The path with the query string, exactly as requested (e.g. `/v1/auth/whoami?x=1`). */
  path: string;
  /** The raw request body; empty or absent for requests without one. */
  body?: string | Buffer;
}

/** The bytes that are signed. */
export function signaturePayload({ timestamp, method, path, body }: SignatureInput): Buffer {
  const head = Buffer.from(`${timestamp}\n${method.toUpperCase()}\n${path}\n`, 'utf8');
  const raw = body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  return Buffer.concat([head, raw]);
}

/** hex HMAC-SHA256 of the payload with `signingSecret` (the hex SHA-256 of the key). */
export function computeSignature(signingSecret: string, input: SignatureInput): string {
  return createHmac('sha256', signingSecret).update(signaturePayload(input)).digest('hex');
}

export interface SignRequestInput extends Omit<SignatureInput, 'timestamp'> {
  /** The API key itself; the signing secret is derived from it. */
  key: string;
  /** Unix seconds; defaults to now. */
  timestamp?: number;
}

export interface SignedHeaders {
  timestamp: string;
  signature: string;
  /** Ready to send: `X-Timestamp` and `X-Signature`. */
  headers: { 'X-Timestamp': string; 'X-Signature': string };
}

/** Signs a request the way the server verifies it (for clients and tests). */
export function signRequest({ key, timestamp, ...rest }: SignRequestInput): SignedHeaders {
  const ts = String(timestamp ?? Math.floor(Date.now() / 1000));
  const signature = computeSignature(hashApiKey(key), { ...rest, timestamp: ts });
  return { timestamp: ts, signature, headers: { 'X-Timestamp': ts, 'X-Signature': signature } };
}

export type SignatureCheck = 'ok' | 'missing' | 'malformed' | 'stale' | 'mismatch';

/** Checks headers against the request, without the replay check (that needs storage). */
export function checkSignature(
  signingSecret: string,
  headers: { timestamp?: string; signature?: string },
  request: Omit<SignatureInput, 'timestamp'>,
  nowSeconds: number,
): SignatureCheck {
  const { timestamp, signature } = headers;
  if (!timestamp || !signature) return 'missing';
  if (!/^\d{1,12}$/.test(timestamp) || !/^[0-9a-fA-F]{64}$/.test(signature)) return 'malformed';
  if (Math.abs(nowSeconds - Number(timestamp)) > SIGNATURE_WINDOW_SECONDS) return 'stale';
  const expected = Buffer.from(computeSignature(signingSecret, { ...request, timestamp }), 'hex');
  return timingSafeEqual(expected, Buffer.from(signature, 'hex')) ? 'ok' : 'mismatch';
}
