import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The latency a prover reports in its heartbeats (ms), which w_latency weighs. Null until
 * it reports one: such a prover scores 0 on that weight.
 */
export class ProverLatency1763792120000 implements MigrationInterface {
  name = 'ProverLatency1763792120000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE provers ADD COLUMN latency_ms integer CHECK (latency_ms BETWEEN 0 AND 600000)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE provers DROP COLUMN latency_ms`);
  }
}
