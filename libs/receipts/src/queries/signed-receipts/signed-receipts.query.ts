import { Injectable } from '@nestjs/common';
import { ReceiptCountersignature, ReceiptDocument, verifyQuorum } from '../../offline';
import { ReceiptRepository } from '../../persistence/receipt.repository';
import { ReceiptSignerSetQuery } from '../receipt-keys.query';

/**
 * Receipts as the API serves them. With a configured signer set each carries `signatures`
 * (the issuer's, when its key is in the set, then each countersignature in signing order)
 * and `final`, computed by the offline verifier over those signatures; without one they
 * are served as signed, final once issued.
 */
@Injectable()
export class SignedReceiptsQuery {
  constructor(
    private readonly receipts: ReceiptRepository,
    private readonly signerSet: ReceiptSignerSetQuery,
  ) {}

  async served(docs: ReceiptDocument[]): Promise<ReceiptDocument[]> {
    const set = this.signerSet.configured;
    if (!set || docs.length === 0) return docs;
    const stored = await this.receipts.signaturesOf(docs.map((d) => d.receipt.receipt_id));
    return docs.map((doc) => {
      const issuer = set.signers.find((s) => s.keys.some((k) => k.key_id === doc.signature.key_id));
      const signatures: ReceiptCountersignature[] = [
        ...(issuer
          ? [
              {
                signer_id: issuer.signer_id,
                key_id: doc.signature.key_id,
                algorithm: 'ed25519' as const,
                value: doc.signature.value,
                signed_at: doc.receipt.issued_at,
              },
            ]
          : []),
        ...(stored.get(doc.receipt.receipt_id) ?? []).map((s) => ({
          signer_id: s.signer_id,
          key_id: s.key_id,
          algorithm: 'ed25519' as const,
          value: s.signature,
          signed_at: s.signed_at.toISOString(),
        })),
      ];
      const check = verifyQuorum({ ...doc, signatures }, set);
      return { ...doc, signatures, final: check.valid && check.final };
    });
  }
}
