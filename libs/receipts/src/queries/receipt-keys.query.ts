import { Injectable, Module } from '@nestjs/common';
import { UnitOfWork } from '@tally/database';
import { TallyEnv } from '@tally/shared';
import type { PublishedKey } from '../keys/published-key';
import { ConfiguredSignerSet, parseSignerSet } from '../keys/signer-set';
import type { ReceiptSignerSet } from '../offline';

/** The signer set as GET /v1/receipts/keys publishes it. */
export interface PublishedSignerSet extends ReceiptSignerSet {
  /** False: no RECEIPT_SIGNER_SET; every published signing key counts as the one signer, k = 1. */
  configured: boolean;
}

/** The one signer of an unconfigured set. */
export const DEFAULT_SIGNER_ID = 'tally';

/**
 * The published signing keys as other libs (the settlement verifier) and the CLI read them:
 * this query, never the `receipt_keys` table. It needs only a database, no signing key.
 */
@Injectable()
export class ReceiptKeysQuery {
  constructor(private readonly uow: UnitOfWork) {}

  /** Every key ever published, active and retired, oldest first. */
  async published(): Promise<PublishedKey[]> {
    const rows: Array<Omit<PublishedKey, 'created_at' | 'retired_at'> & { created_at: Date; retired_at: Date | null }> =
      await this.uow.tx.query(
        `SELECT key_id, public_key, purpose, status, created_at, retired_at FROM receipt_keys
         ORDER BY created_at, key_id`,
      );
    return rows.map((r) => ({
      key_id: r.key_id,
      public_key: r.public_key,
      purpose: r.purpose,
      status: r.status,
      created_at: r.created_at.toISOString(),
      retired_at: r.retired_at?.toISOString() ?? null,
    }));
  }
}

/**
 * The receipt signer set and its threshold k, from RECEIPT_SIGNER_SET and RECEIPT_QUORUM
 * (checked when the app starts). Without them: one signer holding every published signing
 * key, active or retired, and k = 1, so a receipt is final once it is signed, as before.
 */
@Injectable()
export class ReceiptSignerSetQuery {
  readonly configured: ConfiguredSignerSet | undefined;

  constructor(
    env: TallyEnv,
    private readonly keys: ReceiptKeysQuery,
  ) {
    this.configured = parseSignerSet(env.RECEIPT_SIGNER_SET, env.RECEIPT_QUORUM);
  }

  async current(): Promise<PublishedSignerSet> {
    if (this.configured) return { configured: true, ...this.configured };
    const signing = (await this.keys.published()).filter((k) => k.purpose === 'signing');
    return {
      configured: false,
      threshold: 1,
      signers: [
        { signer_id: DEFAULT_SIGNER_ID, keys: signing.map((k) => ({ key_id: k.key_id, public_key: k.public_key })) },
      ],
    };
  }
}

/** Provides the published keys and the signer set to readers that do not sign (the verifiers, the CLI). */
@Module({ providers: [ReceiptKeysQuery, ReceiptSignerSetQuery], exports: [ReceiptKeysQuery, ReceiptSignerSetQuery] })
export class ReceiptKeysModule {}
