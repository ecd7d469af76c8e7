import { Injectable, Module } from '@nestjs/common';
import { UnitOfWork } from '@tally/database';
import type { PublishedKey } from '../keys/published-key';

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

/** Provides the published keys to readers that do not sign (the verifiers, the CLI). */
@Module({ providers: [ReceiptKeysQuery], exports: [ReceiptKeysQuery] })
export class ReceiptKeysModule {}
