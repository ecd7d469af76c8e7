import { createHmac } from 'node:crypto';
import type { SealedBatch } from '@tally/receipts';
import type { SettlementSink } from '../domain';

export const SIGNATURE_HEADER = 'x-tally-signature';
export const BATCH_NO_HEADER = 'x-tally-batch-no';
const TIMEOUT_MS = 10_000;

/**
 * POSTs each batch as JSON. The body is signed with HMAC-SHA256 under the shared secret
 * (header `X-Tally-Signature: sha256=<hex>`), and `X-Tally-Batch-No` lets the receiver
 * dedup before parsing. Any 2xx is delivered; anything else, or no answer in 10 s, fails.
 */
export class WebhookSink implements SettlementSink {
  readonly name = 'webhook';

  constructor(
    private readonly url: string,
    private readonly secret: string,
  ) {}

  get target(): string {
    const u = new URL(this.url);
    return `${u.protocol}//${u.host}${u.pathname}`; // no credentials or query in the status route
  }

  async deliver(batch: SealedBatch): Promise<void> {
    const body = JSON.stringify(batch);
    const signature = createHmac('sha256', this.secret).update(body).digest('hex');
    const res = await fetch(this.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: `sha256=${signature}`,
        [BATCH_NO_HEADER]: String(batch.batch_no),
      },
      body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    await res.arrayBuffer().catch(() => undefined); // free the connection
    if (res.status < 200 || res.status > 299) throw new Error(`webhook answered ${res.status}`);
  }
}
