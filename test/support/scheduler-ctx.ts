import { CommandBus } from '@nestjs/cqrs';
import { AssignmentTickResult, AssignPendingJobsCommand, SweepResult, SweepTimeoutsCommand } from '@tally/scheduler';
import { JobsCtx } from './jobs-ctx';

type Headers = Record<string, string>;

/** A full hardware profile and capability set (the prover routes require every field). */
export const GPU_BOX = {
  cpu_cores: 16,
  cpu_model: 'AMD EPYC 7543',
  gpu_count: 1,
  gpu_model: 'NVIDIA A10',
  gpu_memory_gb: 24,
  ram_gb: 128,
  storage_type: 'nvme',
  storage_iops: 200000,
  network_bandwidth_gbps: 10,
};

export const BASIC_CAPABILITIES = {
  supports_fp32: true,
  supports_fp16: false,
  supports_int8: false,
  max_batch_size: 16,
  supported_kernels: ['msm'],
  zk_acceleration: { groth16: false, plonk: false, stark: false },
};

export interface ProverSpec {
  hardware_profile?: Record<string, unknown>;
  capabilities?: Record<string, unknown>;
  max_concurrency?: number;
  region?: string;
  /** Reported on a heartbeat right after registering (0 when absent). */
  load_factor?: number;
  name?: string;
}

export interface TestProver {
  name: string;
  key: Headers;
  spec: ProverSpec;
}

/** Builders for scheduler tests: live provers over the provers' REST routes, ticks run in-process. */
export class SchedulerCtx extends JobsCtx {
  /** A prover registered with its own key (alive) and one heartbeat (so its load factor is set). */
  async liveProver(spec: ProverSpec = {}): Promise<TestProver> {
    const name = spec.name ?? this.name('prover');
    const key = await this.newKey('prover', name);
    const profile = {
      hardware_profile: { ...GPU_BOX, ...spec.hardware_profile },
      capabilities: { ...BASIC_CAPABILITIES, ...spec.capabilities },
    };
    await this.t
      .http()
      .post('/v1/provers/register')
      .set(key)
      .send({
        prover_id: name,
        ...profile,
        region: spec.region ?? 'eu-west-1',
        max_concurrency: spec.max_concurrency ?? 4,
      })
      .expect(201);
    const prover = { name, key, spec };
    await this.heartbeat(prover);
    return prover;
  }

  /** A heartbeat; returns the jobs it was told were cancelled. */
  async heartbeat(p: TestProver, loadFactor = p.spec.load_factor ?? 0): Promise<string[]> {
    const res = await this.t
      .http()
      .post(`/v1/provers/${p.name}/heartbeat`)
      .set(p.key)
      .send({
        hardware_profile: { ...GPU_BOX, ...p.spec.hardware_profile },
        capabilities: { ...BASIC_CAPABILITIES, ...p.spec.capabilities },
        load_factor: loadFactor,
      })
      .expect(200);
    return res.body.cancelled_jobs;
  }

  async drain(p: TestProver): Promise<void> {
    await this.t.http().post(`/v1/provers/${p.name}/drain`).set(p.key).send().expect(200);
  }

  /** Makes a prover look silent for `ms` (time passing without heartbeats), in the database. */
  async silence(p: TestProver, ms = 3_600_000): Promise<void> {
    await this.t.dataSource.query(
      `UPDATE provers SET last_heartbeat = now() - make_interval(secs => $2::float8 / 1000) WHERE prover_id = $1`,
      [p.name, ms],
    );
  }

  /** One assignment tick, awaited. */
  tick(): Promise<AssignmentTickResult> {
    return this.t.app.get(CommandBus).execute(new AssignPendingJobsCommand());
  }

  /** One timeout sweep, awaited. */
  sweep(): Promise<SweepResult> {
    return this.t.app.get(CommandBus).execute(new SweepTimeoutsCommand());
  }

  /** A job's status and the provers holding it, straight from the database. */
  async jobRow(id: string): Promise<{ status: string; attempts: number; provers: string[] }> {
    const [job] = await this.t.dataSource.query(`SELECT status, attempts FROM jobs WHERE network_job_id = $1`, [id]);
    const rows: { prover_id: string }[] = await this.t.dataSource.query(
      `SELECT prover_id FROM job_assignments WHERE network_job_id = $1 ORDER BY replica`,
      [id],
    );
    return { status: job.status, attempts: job.attempts, provers: rows.map((r) => r.prover_id) };
  }

  async submitted(client: Headers, body: Record<string, unknown> = {}): Promise<string> {
    const res = await this.submit(client, { max_cost_micros: 1_000_000, ...body }).expect(201);
    return res.body.network_job_id;
  }

  /** Cancels every job that has not settled (test isolation within one app). */
  async cancelUnsettled(): Promise<void> {
    const rows: { network_job_id: string }[] = await this.t.dataSource.query(
      `SELECT network_job_id FROM jobs WHERE status IN ('PENDING', 'ASSIGNED', 'RUNNING')`,
    );
    for (const r of rows) {
      await this.t.http().post(`/v1/jobs/${r.network_job_id}/cancel`).set(this.admin()).send();
    }
  }

  placement(key: string, rf?: number | string) {
    const q = rf === undefined ? '' : `?rf=${rf}`;
    return this.t.http().get(`/v1/placement/${key}${q}`).set(this.admin());
  }
}
