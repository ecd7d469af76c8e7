import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The control log is chained shortly after its rows commit, not while they are written.
 * Appending the chain in the action's transaction made every admin action wait for the one
 * before it to commit (the chain head is one row): admin transfers ran one commit at a time.
 *
 * A row is now inserted in the action's transaction with its seq from a sequence and no
 * hashes (prev_hash and hash NULL); a chainer fills them in, in seq order, once every seq
 * below is settled. The append-only trigger allows that one change and nothing else: the
 * hashes of an unchained row set once, every other column as it was. A rolled-back action
 * leaves its seq unused, so seq ascends with gaps; the chain is the prev_hash links.
 */
export class ControlLogDeferredChain1763792200000 implements MigrationInterface {
  name = 'ControlLogDeferredChain1763792200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SEQUENCE control_log_seq OWNED BY control_log.seq`);
    await q.query(`SELECT setval('control_log_seq', COALESCE((SELECT max(seq) FROM control_log), 0) + 1, false)`);
    await q.query(`ALTER TABLE control_log ALTER COLUMN seq SET DEFAULT nextval('control_log_seq')`);
    await q.query(`ALTER TABLE control_log ALTER COLUMN prev_hash DROP NOT NULL, ALTER COLUMN hash DROP NOT NULL`);
    await q.query(
      `ALTER TABLE control_log ADD CONSTRAINT control_log_chained_check CHECK ((prev_hash IS NULL) = (hash IS NULL))`,
    );
    // The chainer's work list: the unchained tail, small and short-lived.
    await q.query(`CREATE INDEX control_log_unchained_idx ON control_log (seq) WHERE hash IS NULL`);
    await q.query(`
      CREATE OR REPLACE FUNCTION control_log_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        -- OLD and NEW are read only for a row UPDATE (a DELETE has no NEW, a TRUNCATE no row).
        IF TG_OP = 'UPDATE' THEN
          IF OLD.hash IS NULL AND NEW.hash IS NOT NULL
             AND (NEW.seq, NEW.at, NEW.actor_key_id, NEW.actor_role, NEW.actor_subject, NEW.action, NEW.fields,
                  NEW.outcome, NEW.error_code)
                 IS NOT DISTINCT FROM
                 (OLD.seq, OLD.at, OLD.actor_key_id, OLD.actor_role, OLD.actor_subject, OLD.action, OLD.fields,
                  OLD.outcome, OLD.error_code) THEN
            RETURN NEW; -- chaining a row: its hashes set once
          END IF;
        END IF;
        RAISE EXCEPTION 'the control log is append-only: % is not allowed', TG_OP
          USING ERRCODE = 'restrict_violation';
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    // The old schema has no unchained rows, and no row of the log is ever dropped to fit it:
    // a service started once before reverting chains them.
    await q.query(`
      DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM control_log WHERE hash IS NULL) THEN
          RAISE EXCEPTION 'control log rows are not chained yet: start the service once, then revert';
        END IF;
      END $$`);
    await q.query(`
      CREATE OR REPLACE FUNCTION control_log_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'the control log is append-only: % is not allowed', TG_OP
          USING ERRCODE = 'restrict_violation';
      END $$`);
    await q.query(`DROP INDEX control_log_unchained_idx`);
    await q.query(`ALTER TABLE control_log DROP CONSTRAINT control_log_chained_check`);
    await q.query(`ALTER TABLE control_log ALTER COLUMN prev_hash SET NOT NULL, ALTER COLUMN hash SET NOT NULL`);
    await q.query(`ALTER TABLE control_log ALTER COLUMN seq DROP DEFAULT`);
    await q.query(`DROP SEQUENCE control_log_seq`);
  }
}
