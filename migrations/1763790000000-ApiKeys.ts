import { MigrationInterface, QueryRunner } from 'typeorm';

export class ApiKeys1763790000000 implements MigrationInterface {
  name = 'ApiKeys1763790000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY,
        key_hash char(64) NOT NULL UNIQUE,
        prefix varchar(16) NOT NULL,
        role varchar(16) NOT NULL CHECK (role IN ('admin', 'client', 'prover')),
        subject varchar(128) NOT NULL,
        require_signature boolean NOT NULL DEFAULT false,
        label varchar(256),
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      )`);
    await q.query(`CREATE INDEX api_keys_role_subject_idx ON api_keys (role, subject)`);
    // Signatures seen inside the HMAC window: a replayed signature hits the primary key.
    await q.query(`
      CREATE TABLE request_signatures (
        signature char(64) PRIMARY KEY,
        api_key_id uuid NOT NULL,
        seen_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX request_signatures_seen_at_idx ON request_signatures (seen_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE request_signatures`);
    await q.query(`DROP TABLE api_keys`);
  }
}
