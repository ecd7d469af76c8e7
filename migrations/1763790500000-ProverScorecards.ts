import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the provers lib keeps besides the `provers` row: the history of applied score
 * events (one row per scorecard version), score events waiting for redelivery after
 * too many version conflicts, and which cancelled jobs each prover has been told about.
 */
export class ProverScorecards1763790500000 implements MigrationInterface {
  name = 'ProverScorecards1763790500000';

  async up(q: QueryRunner): Promise<void> {
    // Moved by heartbeats only (a poll refreshes last_heartbeat but reports no cancellations).
    await q.query(`ALTER TABLE provers ADD COLUMN cancellations_seen_at timestamptz`);
    await q.query(`
      CREATE TABLE prover_score_history (
        prover_id varchar(128) NOT NULL REFERENCES provers (prover_id),
        version bigint NOT NULL,
        event_id uuid NOT NULL UNIQUE,
        delta_success int NOT NULL,
        delta_failure int NOT NULL,
        score_value numeric(12, 6) NOT NULL,
        scored_at timestamptz NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (prover_id, version)
      )`);
    await q.query(`
      CREATE TABLE scorecard_retries (
        event_id uuid PRIMARY KEY,
        prover_id varchar(128) NOT NULL,
        payload jsonb NOT NULL,
        attempts int NOT NULL DEFAULT 1,
        last_error varchar(1024),
        next_attempt_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX scorecard_retries_due_idx ON scorecard_retries (next_attempt_at)`);
    await q.query(`
      CREATE TABLE prover_cancellation_acks (
        prover_id varchar(128) NOT NULL,
        network_job_id uuid NOT NULL,
        acked_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (prover_id, network_job_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE prover_cancellation_acks, scorecard_retries, prover_score_history`);
    await q.query(`ALTER TABLE provers DROP COLUMN cancellations_seen_at`);
  }
}
