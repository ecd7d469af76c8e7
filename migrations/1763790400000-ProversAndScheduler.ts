import { MigrationInterface, QueryRunner } from 'typeorm';

/** Provers with their EMA scorecards, the scheduler's weights, and retry counting on jobs. */
export class ProversAndScheduler1763790400000 implements MigrationInterface {
  name = 'ProversAndScheduler1763790400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE provers (
        prover_id varchar(128) PRIMARY KEY,
        hardware_profile jsonb NOT NULL DEFAULT '{}',
        capabilities jsonb NOT NULL DEFAULT '{}',
        region varchar(64),
        max_concurrency int NOT NULL DEFAULT 1 CHECK (max_concurrency BETWEEN 1 AND 1024),
        load_factor numeric(7, 6) NOT NULL DEFAULT 0 CHECK (load_factor BETWEEN 0 AND 1),
        state varchar(16) NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'draining', 'offline')),
        -- The EMA score as an exact decimal string (fixed precision), so every machine agrees.
        score_value numeric(12, 6) NOT NULL DEFAULT 50 CHECK (score_value BETWEEN 0 AND 100),
        successful_jobs bigint NOT NULL DEFAULT 0,
        failed_jobs bigint NOT NULL DEFAULT 0,
        version bigint NOT NULL DEFAULT 0,
        last_heartbeat timestamptz,
        last_scored_at timestamptz,
        registered_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX provers_live_idx ON provers (state, last_heartbeat)`);
    await q.query(`
      CREATE TABLE scheduler_config (
        id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
        config jsonb NOT NULL,
        version int NOT NULL DEFAULT 1,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`INSERT INTO scheduler_config (config) VALUES ('{"w_score": "1", "w_load": "1"}')`);
    await q.query(`ALTER TABLE jobs ADD COLUMN attempts int NOT NULL DEFAULT 0`);
    await q.query(`CREATE INDEX jobs_pending_idx ON jobs (priority, submitted_at) WHERE status = 'PENDING'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX jobs_pending_idx`);
    await q.query(`ALTER TABLE jobs DROP COLUMN attempts`);
    await q.query(`DROP TABLE scheduler_config, provers`);
  }
}
