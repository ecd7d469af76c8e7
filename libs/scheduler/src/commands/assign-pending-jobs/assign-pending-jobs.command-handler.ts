import { CommandBus, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { UnitOfWork } from '@tally/database';
import { AssignJobsCommand } from '@tally/jobs';
import { ServiceRegistry } from '@tally/services';
import { TallyEnv } from '@tally/shared';
import { candidatesFor, topN, weightsOf } from '../../domain';
import { SchedulerConfigRepository } from '../../persistence/scheduler-config.repository';
import { type PendingCursor, SchedulingRepository } from '../../persistence/scheduling.repository';
import { AssignmentTickResult, AssignPendingJobsCommand } from './assign-pending-jobs.command';

interface BatchResult {
  examined: number;
  assigned: number;
  /** Where the next batch starts, or null when there is nothing more to look at now. */
  next: PendingCursor | null;
}

@CommandHandler(AssignPendingJobsCommand)
export class AssignPendingJobsCommandHandler implements ICommandHandler<
  AssignPendingJobsCommand,
  AssignmentTickResult
> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly scheduling: SchedulingRepository,
    private readonly configs: SchedulerConfigRepository,
    private readonly registry: ServiceRegistry,
    private readonly commands: CommandBus,
    private readonly env: TallyEnv,
  ) {}

  /**
   * Batch after batch, each in its own transaction (so assignments become visible to polling
   * provers as soon as a batch commits), until the pending jobs run out or no prover has room.
   * Each job is looked at once per tick: the cursor only moves forward.
   */
  async execute({ pendingKnown }: AssignPendingJobsCommand): Promise<AssignmentTickResult> {
    const result: AssignmentTickResult = { batches: 0, examined: 0, assigned: 0 };
    // Most interval ticks find nothing to do: one cheap probe instead of a transaction.
    if (!pendingKnown && !(await this.scheduling.anyPending())) return result;
    let cursor: PendingCursor | null = null;
    do {
      const batch: BatchResult = await this.uow.run(() => this.batch(cursor));
      result.batches++;
      result.examined += batch.examined;
      result.assigned += batch.assigned;
      cursor = batch.next;
    } while (cursor);
    return result;
  }

  private async batch(cursor: PendingCursor | null): Promise<BatchResult> {
    // One assigner at a time across replicas: each sees the load the previous one committed,
    // so max_concurrency holds exactly. SKIP LOCKED below keeps clear of jobs being cancelled.
    await this.scheduling.lockAssignment();
    const limit = this.env.SCHEDULER_BATCH_SIZE;
    const ttlMs = this.env.PROVER_LIVENESS_TTL_MS;
    const { jobs, provers, now, config } = await this.scheduling.assignmentInputs(limit, cursor, ttlMs);
    if (jobs.length === 0) return { examined: 0, assigned: 0, next: null };
    let room = provers.reduce((sum, p) => sum + Math.max(0, p.maxConcurrency - p.activeJobs), 0);
    if (room === 0) return { examined: 0, assigned: 0, next: null };

    const weights = weightsOf(this.configs.parse(config));
    const holders = new Map(jobs.map((j) => [j.network_job_id, new Set(j.holders)]));
    const services = new Map<string, { hardwareRequirements: unknown; minStakeMicros: bigint | null }>();
    const liveness = { now, ttlMs };
    const chosenFor: { jobId: string; proverIds: string[] }[] = [];
    let examined = 0;
    for (const job of jobs) {
      examined++;
      if (job.replicas > room) continue;
      let service: { hardwareRequirements: unknown; minStakeMicros: bigint | null } | undefined;
      if (job.service) {
        if (!services.has(job.service)) {
          const schedule = await this.registry.find(job.service);
          services.set(job.service, {
            hardwareRequirements: schedule?.hardwareRequirements ?? null,
            minStakeMicros: schedule?.minStakeMicros ?? null,
          });
        }
        service = services.get(job.service);
      }
      const candidates = candidatesFor(
        provers,
        { requirements: job.requirements, ...service, holders: holders.get(job.network_job_id) },
        liveness,
        weights,
      );
      if (candidates.length < job.replicas) continue;
      const chosen = topN(job.network_job_id, candidates, job.replicas).map((c) => c.proverId);
      chosenFor.push({ jobId: job.network_job_id, proverIds: chosen });
      for (const p of provers) if (chosen.includes(p.proverId)) p.activeJobs++;
      room -= job.replicas;
      if (room === 0) break;
    }
    // The jobs lib's command for the whole batch, in this transaction (its unit of work joins the active one).
    const scorecards = new Map(provers.map((p) => [p.proverId, { version: p.version, score: p.scoreValue }]));
    await this.commands.execute(new AssignJobsCommand(chosenFor, scorecards));
    const assigned = chosenFor.length;
    const last = jobs[jobs.length - 1];
    const more = jobs.length === limit && room > 0;
    return {
      examined,
      assigned,
      next: more ? { rank: last.priority_rank, submittedAt: last.submitted_key, id: last.network_job_id } : null,
    };
  }
}
