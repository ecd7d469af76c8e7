import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A drain is a prover's own decision, not a liveness state: it is kept apart from `state`
 * so that a draining prover that goes offline and comes back is draining again, and a
 * drain asked of an offline prover holds when it returns.
 */
export class DrainSurvivesOffline1763791100000 implements MigrationInterface {
  name = 'DrainSurvivesOffline1763791100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE provers ADD COLUMN drain_requested boolean NOT NULL DEFAULT false`);
    await q.query(`UPDATE provers SET drain_requested = true WHERE state = 'draining'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE provers DROP COLUMN drain_requested`);
  }
}
