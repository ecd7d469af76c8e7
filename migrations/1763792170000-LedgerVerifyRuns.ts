import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Background `ledger verify` runs started through the admin API: one row per run, with its
 * progress and outcome, so every replica reports the same run and it survives a restart. At
 * most one run is 'running' at a time; its runner touches heartbeat_at while it works, so a
 * run whose process died is told apart from one still going.
 */
export class LedgerVerifyRuns1763792170000 implements MigrationInterface {
  name = 'LedgerVerifyRuns1763792170000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ledger_verify_runs (
        run_id uuid PRIMARY KEY,
        status varchar(16) NOT NULL CHECK (status IN ('running', 'passed', 'failed', 'error')),
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        heartbeat_at timestamptz NOT NULL DEFAULT now(),
        progress_done integer NOT NULL DEFAULT 0,
        progress_total integer NOT NULL DEFAULT 0,
        problems jsonb NOT NULL DEFAULT '[]',
        problem_count integer NOT NULL DEFAULT 0,
        error text,
        started_by varchar(255) NOT NULL
      )`);
    await q.query(
      `CREATE UNIQUE INDEX ledger_verify_runs_one_running ON ledger_verify_runs (status) WHERE status = 'running'`,
    );
    await q.query(`CREATE INDEX ledger_verify_runs_latest ON ledger_verify_runs (started_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ledger_verify_runs`);
  }
}
