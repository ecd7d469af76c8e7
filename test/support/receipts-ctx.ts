import type { ReceiptDocument, ReceiptPublicKey } from '@tally/receipts';
import { ProversCtx } from './provers-ctx';

type Headers = Record<string, string>;

/** One-line builders for receipt tests on top of the prover ones. */
export class ReceiptsCtx extends ProversCtx {
  async chain(jobId: string, key: Headers = this.admin()): Promise<ReceiptDocument[]> {
    return (await this.t.http().get(`/v1/jobs/${jobId}/receipts`).set(key).expect(200)).body.receipts;
  }

  async keys(): Promise<ReceiptPublicKey[]> {
    return (await this.t.http().get('/v1/receipts/keys').expect(200)).body.keys;
  }

  async verify(doc: unknown): Promise<{
    valid: boolean;
    reason?: string;
    key_id?: string;
    receipt_hash?: string;
    attestation?: { valid: boolean; reason?: string };
  }> {
    return (
      await this.t
        .http()
        .post('/v1/receipts/verify')
        .send(doc as object)
        .expect(200)
    ).body;
  }

  /** Waits until the job reaches `status` and returns its receipt chain. */
  async settledChain(jobId: string, status: string): Promise<ReceiptDocument[]> {
    expect(await this.waitForStatus(jobId, status)).toBe(status);
    return this.chain(jobId);
  }
}
