import { createHmac } from 'node:crypto';
import type { SealedBatch } from '@tally/receipts';
import { ackOf, dedupeKey, type SettlementSink, type SinkAck, type SinkTier } from '../domain';

export const SIGNATURE_HEADER = 'x-tally-signature';
export const BATCH_NO_HEADER = 'x-tally-batch-no';
export const DEDUPE_KEY_HEADER = 'x-tally-dedupe-key';
const HEX64 = /^[0-9a-f]{64}$/;
const TIMEOUT_MS = 10_000;

/**
 * POSTs each batch as JSON. The body is signed with HMAC-SHA256 under the shared secret
 * (header `X-Tally-Signature: sha256=<hex>`); `X-Tally-Batch-No` and `X-Tally-Dedupe-Key`
 * (`<batch_no>:<batch_hash>`, the same on every sink and retry) let the receiver dedup
 * before parsing. Any 2xx is delivered; anything else, or no answer in 10 s, fails. A 2xx
 * JSON body naming `batch_hash` (and the roots) is the receiver's ack of what it stored;
 * otherwise the ack is the batch as sent.
 */
export class WebhookSink implements SettlementSink {
  constructor(
    readonly name: string,
    readonly tier: SinkTier,
    private readonly url: string,
    private readonly secret: string,
  ) {}

  get target(): string {
    const u = new URL(this.url);
    return `${u.protocol}//${u.host}${u.pathname}`; // no credentials or query in the status route
  }

  async deliver(batch: SealedBatch): Promise<SinkAck> {
    const body = JSON.stringify(batch);
    const signature = createHmac('sha256', this.secret).update(body).digest('hex');
    const res = await fetch(this.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: `sha256=${signature}`,
        [BATCH_NO_HEADER]: String(batch.batch_no),
        [DEDUPE_KEY_HEADER]: dedupeKey(batch),
      },
      body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const answer = await res.text().catch(() => ''); // reading it also frees the connection
    if (res.status < 200 || res.status > 299) throw new Error(`webhook answered ${res.status}`);
    return echoedAck(answer, ackOf(batch));
  }
}

/** The receiver's ack: its JSON answer's hashes (a field it leaves out is taken as sent), else the batch as sent. */
function echoedAck(answer: string, sent: SinkAck): SinkAck {
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer);
  } catch {
    return sent;
  }
  if (typeof parsed !== 'object' || parsed === null) return sent;
  const { batch_hash, transfers_root, balances_root } = parsed as Record<string, unknown>;
  if (typeof batch_hash !== 'string' || !HEX64.test(batch_hash)) return sent;
  return {
    batch_hash,
    transfers_root: typeof transfers_root === 'string' ? transfers_root : sent.transfers_root,
    balances_root: typeof balances_root === 'string' ? balances_root : sent.balances_root,
  };
}
