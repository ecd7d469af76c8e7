import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Keys an operator chose (not generated `tly_` keys) were listed by their first 12
 * characters, up to half of such a secret: they are listed by a fingerprint of their hash
 * instead, as new ones are (displayPrefix).
 */
export class KeyFingerprints1763791500000 implements MigrationInterface {
  name = 'KeyFingerprints1763791500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `UPDATE api_keys SET prefix = 'sha256:' || left(key_hash, 8) WHERE prefix NOT LIKE 'tly\\_%' AND prefix NOT LIKE 'sha256:%'`,
    );
  }

  async down(): Promise<void> {
    // The characters shown before cannot be recovered from the hash; fingerprints stay.
  }
}
