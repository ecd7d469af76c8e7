import { Global, Injectable, Module } from '@nestjs/common';
import { AssignmentCheck, JobRow, JobsModule } from '@tally/jobs';
import { ASSIGNABLE_PROVER_STATE, AssignmentFence, ProversModule } from '@tally/provers';
import { ServicesModule, ServiceRegistry } from '@tally/services';
import { DomainError, ErrorCode } from '@tally/shared';
import { meetsRequirements } from '../../domain';
import { AssignmentLock } from '../../persistence/assignment-lock';
import { SchedulingRepository } from '../../persistence/scheduling.repository';

/**
 * An admin's assignment meets the scheduler's rules: each named prover exists (else
 * DSE-004), is active (not draining or offline), below max_concurrency and not already
 * holding a replica (else DSE-010), and meets the job's requirements and its service's,
 * minimum stake included (else DSE-001). Unlike the scheduler's own choice it need not have sent a heartbeat
 * lately: an admin may assign to a prover about to poll, and one that stays silent has its
 * job requeued by the liveness sweep like any other.
 */
@Injectable()
export class SchedulerAssignmentCheck extends AssignmentCheck {
  constructor(
    private readonly scheduling: SchedulingRepository,
    private readonly registry: ServiceRegistry,
  ) {
    super();
  }

  async refusal(job: JobRow, proverIds: string[]): Promise<DomainError | null> {
    // As a scheduler batch does: the load and state read here hold until this transaction
    // commits, so a tick racing this assignment cannot push a prover past max_concurrency.
    await this.scheduling.lockAssignment();
    const { provers, holders } = await this.scheduling.proversForAssignment(proverIds, job.network_job_id);
    const byId = new Map(provers.map((p) => [p.proverId, p]));
    const schedule = job.service ? await this.registry.find(job.service) : null;
    const hardwareRequirements = schedule?.hardwareRequirements ?? null;
    const minStake = schedule?.minStakeMicros ?? null;
    for (const proverId of proverIds) {
      const prover = byId.get(proverId);
      if (!prover) return new DomainError(ErrorCode.ProverNotFound, `no prover ${proverId}`);
      const refuse = (code: ErrorCode, reason: string) =>
        new DomainError(code, `prover ${proverId} cannot take this job: ${reason}`);
      if (prover.state !== ASSIGNABLE_PROVER_STATE) return refuse(ErrorCode.IllegalTransition, prover.state);
      if (prover.activeJobs >= prover.maxConcurrency) return refuse(ErrorCode.IllegalTransition, 'at max_concurrency');
      if (holders.has(proverId)) return refuse(ErrorCode.IllegalTransition, 'already holds a replica');
      if (!meetsRequirements(job.requirements, prover)) return refuse(ErrorCode.InvalidRequest, 'requirements not met');
      if (!meetsRequirements(hardwareRequirements, prover)) {
        return refuse(ErrorCode.InvalidRequest, 'service hardware requirements not met');
      }
      if (minStake !== null && (prover.bondedStakeMicros ?? 0n) < minStake) {
        return refuse(ErrorCode.InvalidRequest, 'bonded stake below the service minimum');
      }
    }
    return null;
  }
}

/**
 * Global so the jobs lib's AssignmentCheck port resolves to the scheduler's rules, and the
 * provers lib's AssignmentFence to the scheduler's assignment lock.
 */
@Global()
@Module({
  imports: [ServicesModule, JobsModule, ProversModule],
  providers: [
    AssignmentLock,
    SchedulingRepository,
    SchedulerAssignmentCheck,
    { provide: AssignmentCheck, useExisting: SchedulerAssignmentCheck },
    { provide: AssignmentFence, useExisting: AssignmentLock },
  ],
  exports: [AssignmentCheck, AssignmentFence],
})
export class SchedulerAssignmentCheckModule {}
