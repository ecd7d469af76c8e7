import { Injectable, Logger } from '@nestjs/common';
import { UnitOfWork } from '@tally/database';
import { SigningKeyring } from '../../keys/signing-keyring';
import { SignerSetConfigError } from '../../keys/signer-set';
import { ReceiptDocument, ReceiptPublicKey, ReceiptSigner, statementBytesOf, verifyReceipt } from '../../offline';
import { ReceiptRepository } from '../../persistence/receipt.repository';
import { ReceiptKeysQuery, ReceiptSignerSetQuery } from '../../queries/receipt-keys.query';

/** Receipts read and signed per sweep. */
const SWEEP_LIMIT = 200;

/**
 * This replica as one signer of the configured set: it countersigns every receipt it has not
 * signed yet (as issuer or before), after checking the receipt's hash, its issuer's signature
 * and its link to the receipt before it, so it never vouches for a receipt that does not
 * verify. Safe with N replicas: each signer's sweep runs alone (an advisory lock, tried,
 * never waited on) and a (receipt, signer) pair is unique, so a signer never signs twice.
 */
@Injectable()
export class ReceiptCountersigner {
  private readonly logger = new Logger(ReceiptCountersigner.name);
  /** Undefined without a configured set: the issuer's signature is the only one needed. */
  readonly self: ReceiptSigner | undefined;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly receipts: ReceiptRepository,
    private readonly keyring: SigningKeyring,
    private readonly keys: ReceiptKeysQuery,
    signerSet: ReceiptSignerSetQuery,
  ) {
    const set = signerSet.configured;
    if (!set) return;
    this.self = set.signers.find((s) => s.keys.some((k) => k.key_id === keyring.keyId));
    if (!this.self) {
      throw new SignerSetConfigError(
        `RECEIPT_SIGNER_SET does not list this replica's signing key (public key ${keyring.publicKey}, ` +
          `key_id ${keyring.keyId}): add it to this replica's signer's public_keys, keeping its earlier keys there.`,
      );
    }
  }

  /** One pass: signs up to SWEEP_LIMIT receipts; how many it signed. */
  async sweep(): Promise<number> {
    const self = this.self;
    if (!self) return 0;
    return this.uow.run(async () => {
      const [lock] = await this.uow.tx.query(`SELECT pg_try_advisory_xact_lock(hashtext($1)) AS ok`, [
        `receipt_countersign:${self.signer_id}`,
      ]);
      if (!lock.ok) return 0;
      const pending = await this.receipts.unsignedBy(
        self.signer_id,
        self.keys.map((k) => k.key_id),
        SWEEP_LIMIT,
      );
      if (pending.length === 0) return 0;
      const published = (await this.keys.published()).filter((k) => k.purpose === 'signing');
      const signed = await Promise.all(
        pending.map(async (row) => {
          const bytes = this.checked(row, published);
          if (!bytes) return null;
          const { key_id, signature } = await this.keyring.signAsync(bytes);
          return { receipt_id: row.document.receipt.receipt_id, signer_id: self.signer_id, key_id, signature };
        }),
      );
      return this.receipts.insertSignatures(signed.filter((s) => s !== null));
    });
  }

  /** The statement bytes to sign, or null (logged) when the receipt or its link does not verify. */
  private checked(
    row: { document: ReceiptDocument; receipt_hash: string; seq: number; prev_hash: string | null },
    published: ReceiptPublicKey[],
  ): Buffer | null {
    const doc = row.document;
    const check = verifyReceipt(doc, published);
    const stated = statementBytesOf(doc);
    const problem = !check.valid
      ? check.reason
      : typeof stated === 'string'
        ? stated
        : doc.receipt_hash !== row.receipt_hash.trim() || doc.receipt.seq !== row.seq
          ? 'stored_columns_mismatch'
          : doc.receipt.prev_receipt_hash !== (row.prev_hash?.trim() ?? null)
            ? 'chain_broken'
            : null;
    if (problem !== null || typeof stated === 'string') {
      this.logger.error(
        { receipt_id: doc?.receipt?.receipt_id, reason: problem },
        'not countersigning a receipt that does not verify',
      );
      return null;
    }
    return stated.bytes;
  }
}
