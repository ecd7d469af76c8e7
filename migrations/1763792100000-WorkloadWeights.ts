import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The scheduler's workload weights (w_cpu, w_ram, w_gpu, w_latency, w_io) written into the
 * stored config at 0, as every PUT now stores them: a config read before and after weighs
 * provers alike, and re-sending it stays a replay (same stored config, same version).
 */
export class WorkloadWeights1763792100000 implements MigrationInterface {
  name = 'WorkloadWeights1763792100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `UPDATE scheduler_config
       SET config = '{"w_cpu": "0", "w_ram": "0", "w_gpu": "0", "w_latency": "0", "w_io": "0"}'::jsonb || config
       WHERE jsonb_typeof(config) = 'object'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE scheduler_config SET config = config - 'w_cpu' - 'w_ram' - 'w_gpu' - 'w_latency' - 'w_io'`);
  }
}
