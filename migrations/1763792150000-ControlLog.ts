import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The control-action log (DSE §7.4): one row per admin or operator action, written in the
 * action's own transaction, hash-chained (each row's hash covers the previous row's) and
 * append-only by trigger. `fields` is the canonical JSON text of the request's essential
 * fields, so the hash is over exactly the stored bytes.
 */
export class ControlLog1763792150000 implements MigrationInterface {
  name = 'ControlLog1763792150000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE control_log (
        seq bigint PRIMARY KEY CHECK (seq > 0),
        at timestamptz NOT NULL,
        actor_key_id varchar(255),
        actor_role varchar(16) NOT NULL,
        actor_subject varchar(255) NOT NULL,
        action varchar(64) NOT NULL,
        fields text NOT NULL,
        outcome varchar(8) NOT NULL CHECK (outcome IN ('ok', 'rejected')),
        error_code varchar(16),
        prev_hash char(64) NOT NULL,
        hash char(64) NOT NULL UNIQUE,
        CHECK ((outcome = 'rejected') = (error_code IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX control_log_action_idx ON control_log (action, seq)`);
    await q.query(`CREATE INDEX control_log_actor_idx ON control_log (actor_key_id, seq)`);
    await q.query(`CREATE INDEX control_log_at_idx ON control_log (at, seq)`);
    await q.query(`
      CREATE FUNCTION control_log_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'the control log is append-only: % is not allowed', TG_OP
          USING ERRCODE = 'restrict_violation';
      END $$`);
    await q.query(`
      CREATE TRIGGER control_log_append_only BEFORE UPDATE OR DELETE ON control_log
      FOR EACH ROW EXECUTE FUNCTION control_log_reject_change()`);
    await q.query(`
      CREATE TRIGGER control_log_no_truncate BEFORE TRUNCATE ON control_log
      FOR EACH STATEMENT EXECUTE FUNCTION control_log_reject_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE control_log`);
    await q.query(`DROP FUNCTION control_log_reject_change()`);
  }
}
