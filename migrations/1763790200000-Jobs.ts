import { MigrationInterface, QueryRunner } from 'typeorm';

/** Jobs, their prover assignments (one per replica) and the append-only audit log. */
export class Jobs1763790200000 implements MigrationInterface {
  name = 'Jobs1763790200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE jobs (
        network_job_id uuid PRIMARY KEY,
        client_id varchar(128) NOT NULL,
        client_job_id varchar(128),
        request_hash char(64) NOT NULL,
        payload jsonb NOT NULL,
        max_cost_micros bigint NOT NULL CHECK (max_cost_micros > 0),
        priority varchar(8) NOT NULL CHECK (priority IN ('LOW', 'NORMAL', 'HIGH')),
        service varchar(64),
        units varchar(40),
        requirements jsonb NOT NULL DEFAULT '{}',
        replicas smallint NOT NULL DEFAULT 1 CHECK (replicas BETWEEN 1 AND 7),
        status varchar(16) NOT NULL CHECK (status IN ('PENDING', 'ASSIGNED', 'RUNNING', 'COMPLETED', 'AUDITED', 'FAILED', 'CANCELLED')),
        hold_id uuid NOT NULL,
        held_micros bigint NOT NULL,
        final_cost_micros bigint,
        refunded_micros bigint,
        platform_fee_micros bigint,
        error_message varchar(2048),
        version int NOT NULL DEFAULT 1,
        submitted_at timestamptz NOT NULL DEFAULT now(),
        assigned_at timestamptz,
        started_at timestamptz,
        completed_at timestamptz,
        failed_at timestamptz,
        cancelled_at timestamptz,
        audited_at timestamptz,
        CONSTRAINT jobs_client_job_unique UNIQUE (client_id, client_job_id)
      )`);
    await q.query(`CREATE INDEX jobs_status_idx ON jobs (status, submitted_at, network_job_id)`);
    await q.query(`CREATE INDEX jobs_client_idx ON jobs (client_id, submitted_at, network_job_id)`);
    await q.query(`
      CREATE TABLE job_assignments (
        network_job_id uuid NOT NULL REFERENCES jobs (network_job_id),
        prover_id varchar(128) NOT NULL,
        replica smallint NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'ASSIGNED' CHECK (status IN ('ASSIGNED', 'RUNNING', 'REPORTED', 'CANCELLED')),
        success boolean,
        final_cost_micros bigint,
        result_hash varchar(128),
        error_message varchar(2048),
        report_hash char(64),
        reward_micros bigint,
        assigned_at timestamptz NOT NULL DEFAULT now(),
        reported_at timestamptz,
        PRIMARY KEY (network_job_id, prover_id)
      )`);
    await q.query(`CREATE INDEX job_assignments_prover_idx ON job_assignments (prover_id, status)`);
    await q.query(`
      CREATE TABLE job_audit_log (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        event_id uuid NOT NULL UNIQUE,
        network_job_id uuid NOT NULL,
        event jsonb NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX job_audit_log_job_idx ON job_audit_log (network_job_id)`);
    await q.query(`
      CREATE TRIGGER job_audit_log_append_only BEFORE UPDATE OR DELETE ON job_audit_log
      FOR EACH ROW EXECUTE FUNCTION ledger_reject_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE job_audit_log, job_assignments, jobs`);
  }
}
