import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The dispute window (docs/economics.md, Disputes). A service's schedule (every version) may
 * set how long a completed job's rewards stay pending (`dispute_window_seconds`, null: the
 * platform default) and what a dispute lost slashes (`slash_dispute_bps`). A job gains
 * DISPUTED, when its window closes (null: no window), the rewards still held for its
 * provers (`pending_rewards`, null once released or voided), and its dispute as raised and
 * resolved. The sweep finds windows due by the partial index.
 */
export class DisputeWindow1763792280000 implements MigrationInterface {
  name = 'DisputeWindow1763792280000';

  async up(q: QueryRunner): Promise<void> {
    for (const table of ['service_schedules', 'service_schedule_versions']) {
      await q.query(`ALTER TABLE ${table}
        ADD COLUMN slash_dispute_bps integer NOT NULL DEFAULT 0 CHECK (slash_dispute_bps BETWEEN 0 AND 10000),
        ADD COLUMN dispute_window_seconds integer
          CHECK (dispute_window_seconds IS NULL OR dispute_window_seconds BETWEEN 0 AND 7776000)`);
    }
    await q.query(`ALTER TABLE jobs DROP CONSTRAINT jobs_status_check,
      ADD CONSTRAINT jobs_status_check CHECK (status IN
        ('PENDING', 'ASSIGNED', 'RUNNING', 'COMPLETED', 'DISPUTED', 'AUDITED', 'FAILED', 'CANCELLED')),
      ADD COLUMN dispute_closes_at timestamptz,
      ADD COLUMN pending_rewards jsonb CHECK (pending_rewards IS NULL OR jsonb_typeof(pending_rewards) = 'array'),
      ADD COLUMN disputed_at timestamptz,
      ADD COLUMN dispute_reason text,
      ADD COLUMN resolved_at timestamptz,
      ADD COLUMN dispute_outcome varchar(8) CHECK (dispute_outcome IN ('uphold', 'refund')),
      ADD COLUMN dispute_refund_micros bigint CHECK (dispute_refund_micros >= 0)`);
    await q.query(`CREATE INDEX jobs_dispute_window_idx ON jobs (dispute_closes_at)
      WHERE status = 'COMPLETED' AND dispute_closes_at IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX jobs_dispute_window_idx`);
    await q.query(`ALTER TABLE jobs DROP COLUMN dispute_refund_micros, DROP COLUMN dispute_outcome,
      DROP COLUMN resolved_at, DROP COLUMN dispute_reason, DROP COLUMN disputed_at, DROP COLUMN pending_rewards,
      DROP COLUMN dispute_closes_at, DROP CONSTRAINT jobs_status_check,
      ADD CONSTRAINT jobs_status_check CHECK (status IN
        ('PENDING', 'ASSIGNED', 'RUNNING', 'COMPLETED', 'AUDITED', 'FAILED', 'CANCELLED'))`);
    for (const table of ['service_schedule_versions', 'service_schedules']) {
      await q.query(`ALTER TABLE ${table} DROP COLUMN dispute_window_seconds, DROP COLUMN slash_dispute_bps`);
    }
  }
}
