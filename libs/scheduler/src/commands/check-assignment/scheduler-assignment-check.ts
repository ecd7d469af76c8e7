import { Global, Injectable, Module } from '@nestjs/common';
import { UnitOfWork } from '@tally/database';
import { AssignmentCheck, JobRow } from '@tally/jobs';
import { RegistryModule, ServiceRegistry } from '@tally/registry';
import { DomainError, ErrorCode } from '@tally/shared';
import { meetsRequirements, type ProverSnapshot } from '../../domain';

interface ProverRow {
  prover_id: string;
  state: string;
  last_heartbeat: Date | null;
  max_concurrency: number;
  active_jobs: number;
  score_value: string;
  load_factor: string;
  region: string | null;
  hardware_profile: Record<string, unknown> | null;
  capabilities: Record<string, unknown> | null;
}

/**
 * An admin's assignment meets the scheduler's rules: each named prover exists (else
 * DSE-004), is active (not draining or offline), below max_concurrency and not already
 * holding a replica (else DSE-010), and meets the job's requirements and its service's
 * (else DSE-001). Unlike the scheduler's own choice it need not have sent a heartbeat
 * lately: an admin may assign to a prover about to poll, and one that stays silent has its
 * job requeued by the liveness sweep like any other.
 */
@Injectable()
export class SchedulerAssignmentCheck extends AssignmentCheck {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly registry: ServiceRegistry,
  ) {
    super();
  }

  async refusal(job: JobRow, proverIds: string[]): Promise<DomainError | null> {
    const rows: ProverRow[] = await this.uow.tx.query(
      `SELECT p.prover_id, p.state, p.last_heartbeat, p.max_concurrency, p.score_value::text, p.load_factor::text,
              p.region, p.hardware_profile, p.capabilities,
              (SELECT count(*) FROM job_assignments a JOIN jobs j ON j.network_job_id = a.network_job_id
               WHERE a.prover_id = p.prover_id AND a.status IN ('ASSIGNED', 'RUNNING')
                 AND j.status IN ('ASSIGNED', 'RUNNING'))::int AS active_jobs
       FROM provers p WHERE p.prover_id = ANY($1::varchar[])`,
      [proverIds],
    );
    const byId = new Map(rows.map((r) => [r.prover_id, r]));
    const holders = new Set(
      (
        (await this.uow.tx.query(`SELECT prover_id FROM job_assignments WHERE network_job_id = $1`, [
          job.network_job_id,
        ])) as { prover_id: string }[]
      ).map((r) => r.prover_id),
    );
    const hardwareRequirements = job.service
      ? ((await this.registry.find(job.service))?.hardwareRequirements ?? null)
      : null;
    for (const proverId of proverIds) {
      const row = byId.get(proverId);
      if (!row) return new DomainError(ErrorCode.ProverNotFound, `no prover ${proverId}`);
      const prover = snapshotOf(row);
      const refuse = (code: ErrorCode, reason: string) =>
        new DomainError(code, `prover ${proverId} cannot take this job: ${reason}`);
      if (prover.state !== 'active') return refuse(ErrorCode.IllegalTransition, prover.state);
      if (prover.activeJobs >= prover.maxConcurrency) return refuse(ErrorCode.IllegalTransition, 'at max_concurrency');
      if (holders.has(proverId)) return refuse(ErrorCode.IllegalTransition, 'already holds a replica');
      if (!meetsRequirements(job.requirements, prover)) return refuse(ErrorCode.InvalidRequest, 'requirements not met');
      if (!meetsRequirements(hardwareRequirements, prover)) {
        return refuse(ErrorCode.InvalidRequest, 'service hardware requirements not met');
      }
    }
    return null;
  }
}

function snapshotOf(r: ProverRow): ProverSnapshot {
  return {
    proverId: r.prover_id,
    state: r.state,
    lastHeartbeat: r.last_heartbeat,
    maxConcurrency: r.max_concurrency,
    activeJobs: r.active_jobs,
    scoreValue: r.score_value,
    loadFactor: r.load_factor,
    region: r.region,
    hardwareProfile: r.hardware_profile ?? {},
    capabilities: r.capabilities ?? {},
  };
}

/** Global so the jobs lib's AssignmentCheck port resolves to the scheduler's rules. */
@Global()
@Module({
  imports: [RegistryModule],
  providers: [SchedulerAssignmentCheck, { provide: AssignmentCheck, useExisting: SchedulerAssignmentCheck }],
  exports: [AssignmentCheck],
})
export class SchedulerAssignmentCheckModule {}
